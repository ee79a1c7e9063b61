// KIP-320 position validation by the Java KafkaConsumer, which sends OffsetForLeaderEpoch when a position
// carries a leader epoch (here: a seek with one). Manual assignment of partition 0, auto.offset.reset=none.
//   1. seek to <inside> in epoch 0: validation passes, the first record polled is at <inside>;
//   2. seek to <beyond> (past the log end) in epoch 0: the broker says epoch 0 ended at the log end, so
//      the consumer reports a log truncation at that offset.
// Prints "valid <first offset polled>" and "truncated <divergent offset> <its epoch>".
//   java -cp <kafka libs> LeaderEpochCheck.java <bootstrap> <topic> <inside> <beyond>
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.LogTruncationException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class LeaderEpochCheck {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "none");
        TopicPartition tp = new TopicPartition(args[1], 0);
        long inside = Long.parseLong(args[2]);
        long beyond = Long.parseLong(args[3]);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, new OffsetAndMetadata(inside, Optional.of(0), ""));
            long deadline = System.currentTimeMillis() + 60_000;
            while (true) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                if (!records.isEmpty()) {
                    System.out.println("valid " + records.records(tp).get(0).offset());
                    break;
                }
                if (System.currentTimeMillis() > deadline) throw new RuntimeException("no records after the seek");
            }
            consumer.seek(tp, new OffsetAndMetadata(beyond, Optional.of(0), ""));
            deadline = System.currentTimeMillis() + 60_000;
            while (true) {
                try {
                    consumer.poll(Duration.ofMillis(500));
                } catch (LogTruncationException e) {
                    OffsetAndMetadata divergent = e.divergentOffsets().get(tp);
                    System.out.println("truncated " + divergent.offset() + " " + divergent.leaderEpoch().orElse(-1));
                    break;
                }
                if (System.currentTimeMillis() > deadline) throw new RuntimeException("no truncation reported");
            }
        }
    }
}
