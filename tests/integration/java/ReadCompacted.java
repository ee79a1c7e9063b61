// Reads every partition of a topic from the beginning to its end offset with the Java KafkaConsumer
// (read_committed off, no group) and prints one line per record: "<partition> <offset> <key> <value>",
// then "END <partition> <end offset>" per partition. Used by test_compaction.py: offsets of a compacted
// log have gaps, which the consumer must step over.
//   java -cp <kafka libs> ReadCompacted.java <bootstrap> <topic>
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public class ReadCompacted {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.put("max.poll.records", "2000");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(args[1], Duration.ofSeconds(30)))
                tps.add(new TopicPartition(args[1], p.partition()));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> ends = consumer.endOffsets(tps, Duration.ofSeconds(30));
            long deadline = System.currentTimeMillis() + 120_000;
            StringBuilder out = new StringBuilder();
            while (true) {
                boolean done = true;
                for (TopicPartition tp : tps)
                    if (consumer.position(tp, Duration.ofSeconds(30)) < ends.get(tp)) done = false;
                if (done) break;
                if (System.currentTimeMillis() > deadline) throw new RuntimeException("timed out reading " + args[1]);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    out.append(r.partition()).append(' ').append(r.offset()).append(' ').append(r.key()).append(' ')
                        .append(r.value()).append('\n');
                }
            }
            for (TopicPartition tp : tps) out.append("END ").append(tp.partition()).append(' ').append(ends.get(tp)).append('\n');
            System.out.print(out);
        }
    }
}
