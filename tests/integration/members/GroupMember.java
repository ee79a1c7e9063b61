// A consumer-group member for test_consumer_groups.py and test_group_migration.py (Java kafka-clients,
// classic protocol unless group.protocol=consumer is given), run as its own process so a test can kill
// -9 it.
//   java -cp 'tools/kafka-ref/lib/*' GroupMember.java BOOTSTRAP GROUP TOPIC OUT [key=value ...]
// Writes JSON lines to OUT: {"e":"assigned"|"revoked","p":[...]} from the rebalance listener and
// {"e":"rec","p":partition,"o":offset} for every record, written before the batch's offsets are committed
// synchronously (at least once; nothing committed is skipped), and {"e":"commit-failed","why":...} when a
// commit fails (it is retried after the next poll while the member owns the partition).
import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class GroupMember {
    static PrintWriter out;

    static synchronized void emit(String json) {
        out.println(json);
        out.flush();
    }

    static String parts(Collection<TopicPartition> ps) {
        return ps.stream().map(p -> Integer.toString(p.partition())).collect(Collectors.joining(",", "[", "]"));
    }

    public static void main(String[] args) throws IOException {
        out = new PrintWriter(new FileWriter(args[3], true));
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("group.id", args[1]);
        props.put("group.protocol", "classic");
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.put("session.timeout.ms", "6000");
        props.put("heartbeat.interval.ms", "500");
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        for (int i = 4; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            props.put(kv[0], kv[1]);
        }
        if ("consumer".equals(props.get("group.protocol"))) {
            // The broker sets these for the consumer protocol; the client refuses them.
            props.remove("session.timeout.ms");
            props.remove("heartbeat.interval.ms");
        }
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            consumer.wakeup();
            try {
                main.join(20000);
            } catch (InterruptedException e) {
                // exiting anyway
            }
        }));
        consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
            public void onPartitionsRevoked(Collection<TopicPartition> ps) { emit("{\"e\":\"revoked\",\"p\":" + parts(ps) + "}"); }
            public void onPartitionsAssigned(Collection<TopicPartition> ps) { emit("{\"e\":\"assigned\",\"p\":" + parts(ps) + "}"); }
            public void onPartitionsLost(Collection<TopicPartition> ps) { emit("{\"e\":\"revoked\",\"p\":" + parts(ps) + "}"); }
        });
        emit("{\"e\":\"started\"}");
        // Offsets processed but not yet committed. A commit can fail while the group rebalances
        // (RebalanceInProgressException, an older generation or member epoch); the offsets of the
        // partitions this member still owns are then committed again after the next poll, so the last
        // records of a partition get committed even when no record follows them. Those of a partition
        // taken away are dropped: its next owner starts from the last committed offset and processes
        // them again (at least once).
        Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
        try {
            while (true) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    emit("{\"e\":\"rec\",\"p\":" + r.partition() + ",\"o\":" + r.offset() + "}");
                    pending.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                }
                pending.keySet().retainAll(consumer.assignment());
                if (!pending.isEmpty()) {
                    try {
                        consumer.commitSync(pending);
                        pending.clear();
                    } catch (WakeupException e) {
                        throw e;
                    } catch (Exception e) {
                        emit("{\"e\":\"commit-failed\",\"why\":\"" + e.getClass().getSimpleName() + "\"}");
                    }
                }
            }
        } catch (WakeupException e) {
            // SIGTERM: leave the group cleanly
        } finally {
            consumer.close();
            emit("{\"e\":\"closed\"}");
        }
    }
}
