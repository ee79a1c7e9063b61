// Reads one partition of __consumer_offsets from the start to its end offset and decodes every record
// with Kafka's own group coordinator serde (GroupCoordinatorRecordSerde, the one the broker loads with),
// printing one JSON line per record: {"offset":N,"key":{"type":T,"data":{...}},"value":{...}|null}.
// A record Kafka cannot decode prints "ERROR <offset> <exception>" and the exit code is 1.
//
//   java -cp <kafka classpath> DumpGroupRecords.java <bootstrap> <partition>
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.coordinator.common.runtime.CoordinatorRecord;
import org.apache.kafka.coordinator.group.GroupCoordinatorRecordSerde;
import org.apache.kafka.coordinator.group.generated.CoordinatorRecordJsonConverters;

public class DumpGroupRecords {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        TopicPartition tp = new TopicPartition("__consumer_offsets", Integer.parseInt(args[1]));
        GroupCoordinatorRecordSerde serde = new GroupCoordinatorRecordSerde();
        int errors = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
            long deadline = System.currentTimeMillis() + 60_000;
            while (consumer.position(tp, Duration.ofSeconds(30)) < end && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        CoordinatorRecord rec = serde.deserialize(ByteBuffer.wrap(r.key()),
                            r.value() == null ? null : ByteBuffer.wrap(r.value()));
                        String value = rec.value() == null ? "null"
                            : CoordinatorRecordJsonConverters.writeRecordValueAsJson(rec.value().message(),
                                rec.value().version()).toString();
                        System.out.printf("{\"offset\":%d,\"key\":{\"type\":%d,\"data\":%s},\"value\":%s}%n", r.offset(),
                            rec.key().apiKey(), CoordinatorRecordJsonConverters.writeRecordKeyAsJson(rec.key()), value);
                    } catch (Exception e) {
                        System.out.println("ERROR " + r.offset() + " " + e);
                        errors++;
                    }
                }
            }
        }
        System.exit(errors == 0 ? 0 : 1);
    }
}
