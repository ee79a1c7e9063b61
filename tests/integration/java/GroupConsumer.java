// One member of a consumer group: a KafkaConsumer with group.protocol=consumer (KIP-848), subscribed
// to one topic, committing synchronously what it has processed (at least once) at most every
// <commit-interval-ms> (0: after every poll), and always before an assignment change takes effect
// (onPartitionsRevoked).
// It appends to <out-file>, flushed before every commit:
//   "<partition> <offset> <value>"            for every record it processed
//   "# assignment <epoch-ms> <p,p,...>"        whenever its assignment changed
//   "# commit-failed <message>"                when a commit failed (the records are redelivered)
// It leaves the group (close) and exits when <out-file>.stop exists.
// Usage: java -cp 'tools/kafka-ref/lib/*' GroupConsumer.java host:port group topic out-file
//            [commit-interval-ms [server-assignor]]
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public class GroupConsumer {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], group = args[1], topic = args[2];
        Path outPath = Paths.get(args[3]);
        Path stop = Paths.get(args[3] + ".stop");
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, outPath.getFileName().toString());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        long commitIntervalMs = args.length > 4 ? Long.parseLong(args[4]) : 0;
        if (args.length > 5) p.put(ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG, args[5]);
        try (Writer out = new BufferedWriter(new OutputStreamWriter(
                 new FileOutputStream(outPath.toFile(), true), StandardCharsets.UTF_8));
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    commit(consumer, out);  // what was processed, before the partitions move
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    // The member was fenced (its session or its epoch was no longer known): it rejoins.
                    try {
                        out.write("# lost " + System.currentTimeMillis() + " " + partitions.size() + "\n");
                        out.flush();
                    } catch (IOException ignored) {
                    }
                }
            });
            Set<TopicPartition> last = Set.of();
            boolean first = true;
            long lastCommit = System.currentTimeMillis();
            boolean pending = false;
            while (!Files.exists(stop)) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<String, String> r : records) {
                    out.write(r.partition() + " " + r.offset() + " " + r.value() + "\n");
                }
                Set<TopicPartition> now = consumer.assignment();
                if (first || !now.equals(last)) {
                    String list = now.stream().map(TopicPartition::partition).sorted()
                        .map(String::valueOf).collect(Collectors.joining(","));
                    out.write("# assignment " + System.currentTimeMillis() + " " + list + "\n");
                    last = new HashSet<>(now);
                    first = false;
                }
                out.flush();
                pending |= !records.isEmpty();
                if (pending && System.currentTimeMillis() - lastCommit >= commitIntervalMs) {
                    commit(consumer, out);
                    lastCommit = System.currentTimeMillis();
                    pending = false;
                }
            }
        }
    }

    // Commits the consumed positions; REQUIRES: every record returned so far has been written to `out`.
    static void commit(KafkaConsumer<String, String> consumer, Writer out) {
        try {
            out.flush();
            consumer.commitSync(Duration.ofSeconds(30));
        } catch (Exception e) {
            try {
                out.write("# commit-failed " + e.toString().replace('\n', ' ') + "\n");
                out.flush();
            } catch (IOException ignored) {
            }
        }
    }
}
