// Exercises the partition-level admin APIs with the Java AdminClient and a producer, and prints one
// JSON line with what it saw:
//   produce 100 records (idempotent) to topic <t> partition 0, then
//   listOffsets earliest/latest/maxTimestamp/forTimestamp, deleteRecords before offset 40,
//   listOffsets earliest again, describeLogDirs, describeProducers.
// Usage: java -cp 'tools/kafka-ref/lib/*' PartitionAdmin.java host:port topic
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

public class PartitionAdmin {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1];
        TopicPartition tp = new TopicPartition(topic, 0);
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);

            Properties pp = new Properties();
            pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            long base = System.currentTimeMillis() - 100_000;
            long producerId;
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
                for (int i = 0; i < 100; i++)
                    producer.send(new ProducerRecord<>(topic, 0, base + i * 1000L, "k" + i, "v" + i));
                producer.flush();
            }

            long earliest = offset(admin, tp, OffsetSpec.earliest());
            long latest = offset(admin, tp, OffsetSpec.latest());
            ListOffsetsResult.ListOffsetsResultInfo max =
                admin.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp())).partitionResult(tp).get(30, TimeUnit.SECONDS);
            long at50 = offset(admin, tp, OffsetSpec.forTimestamp(base + 50_000));
            long afterAll = offset(admin, tp, OffsetSpec.forTimestamp(base + 1_000_000));

            long low = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(40)))
                .lowWatermarks().get(tp).get(30, TimeUnit.SECONDS).lowWatermark();
            long earliestAfter = offset(admin, tp, OffsetSpec.earliest());

            Map<Integer, Map<String, LogDirDescription>> dirs =
                admin.describeLogDirs(List.of(1)).allDescriptions().get(30, TimeUnit.SECONDS);
            long size = -1;
            for (LogDirDescription d : dirs.get(1).values()) {
                ReplicaInfo r = d.replicaInfos().get(tp);
                if (r != null) size = r.size();
            }

            List<ProducerState> producers =
                admin.describeProducers(List.of(tp)).partitionResult(tp).get(30, TimeUnit.SECONDS).activeProducers();
            String producerJson = producers.isEmpty() ? "null" : String.format(
                "{\"epoch\":%d,\"lastSequence\":%d}", producers.get(0).producerEpoch(), producers.get(0).lastSequence());

            System.out.printf(
                "{\"earliest\":%d,\"latest\":%d,\"maxTimestampOffset\":%d,\"maxTimestamp\":%d,\"at50\":%d,"
                + "\"afterAll\":%d,\"lowWatermark\":%d,\"earliestAfterDelete\":%d,\"logDirSize\":%d,"
                + "\"producers\":%d,\"producer\":%s,\"base\":%d}%n",
                earliest, latest, max.offset(), max.timestamp(), at50, afterAll, low, earliestAfter, size,
                producers.size(), producerJson, base);
        }
    }

    static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get(30, TimeUnit.SECONDS).offset();
    }
}
