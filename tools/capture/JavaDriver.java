// Capture driver for the Java client (org.apache.kafka:kafka-clients, the reference implementation).
// Run by tools/capture/capture.sh as a single-file program:
//   java -cp 'tools/kafka-ref/lib/*' tools/capture/JavaDriver.java <bootstrap> <proxy-control host:port>
// Before each scenario it tells the recording proxy the scenario's name, so the frames it causes are
// filed under it. Records are small on purpose (the corpus must stay small).

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.internals.AppInfoParser;

public class JavaDriver {
    static String bootstrap;
    static String control;
    static final String TOPIC = "java-t";
    static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};
    static final int PER_CODEC = 5;

    static void proxy(String line) throws Exception {
        String[] hp = control.split(":");
        try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
            OutputStream out = s.getOutputStream();
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String reply = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (!"ok".equals(reply)) throw new IllegalStateException("proxy said " + reply);
        }
    }

    static void scenario(String name) throws Exception {
        System.out.println("java: " + name);
        proxy("label java " + name);
    }

    static Properties base(String clientId) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("client.id", clientId);
        return p;
    }

    public static void main(String[] args) throws Exception {
        bootstrap = args[0];
        control = args[1];
        proxy("version java kafka-clients " + AppInfoParser.getVersion());

        scenario("admin");
        try (Admin admin = Admin.create(base("capture-java-admin"))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
            admin.describeCluster().clusterId().get();
            admin.describeCluster().nodes().get();
            Set<String> names = admin.listTopics().names().get();
            if (!names.contains(TOPIC)) throw new IllegalStateException("topic missing: " + names);
            admin.describeTopics(List.of(TOPIC)).allTopicNames().get();
            admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC),
                                          new ConfigResource(ConfigResource.Type.BROKER, "1"))).all().get();
        }

        // Defaults otherwise: enable.idempotence=true, acks=all.
        for (String codec : CODECS) {
            scenario("produce-" + codec);
            Properties p = base("capture-java-producer");
            p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
                for (int i = 0; i < PER_CODEC; i++) {
                    ProducerRecord<String, String> r = new ProducerRecord<>(TOPIC, "k" + i, codec + " record " + i);
                    r.headers().add("h", ("v" + i).getBytes(StandardCharsets.UTF_8));
                    producer.send(r);
                }
                producer.flush();
            }
        }

        // One committed and one aborted transaction: control batches and aborted-transaction lists in fetch.
        scenario("produce-transactional");
        Properties tp = base("capture-java-txn-producer");
        tp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "capture-java-txn");
        tp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        tp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(tp)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 3; i++) producer.send(new ProducerRecord<>(TOPIC, "tk" + i, "committed " + i));
            producer.commitTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 2; i++) producer.send(new ProducerRecord<>(TOPIC, "ta" + i, "aborted " + i));
            producer.flush();
            producer.abortTransaction();
        }
        int committed = CODECS.length * PER_CODEC + 3;

        scenario("consume-assign");
        consumeAssigned("read_uncommitted", committed + 2);
        scenario("consume-read-committed");
        consumeAssigned("read_committed", committed);

        scenario("consume-group-classic");
        consumeGroup("classic", "capture-java-classic", committed + 2);
        scenario("consume-group-consumer");
        consumeGroup("consumer", "capture-java-consumer", committed + 2);

        // Group administration: ListGroups, DescribeGroups (classic), ConsumerGroupDescribe (consumer),
        // OffsetFetch by an admin.
        scenario("admin-groups");
        try (Admin admin = Admin.create(base("capture-java-admin"))) {
            admin.listGroups().all().get();
            admin.describeConsumerGroups(List.of("capture-java-classic", "capture-java-consumer")).all().get();
            admin.listConsumerGroupOffsets("capture-java-classic").partitionsToOffsetAndMetadata().get();
        }
        System.out.println("java: done");
    }

    static Properties consumerProps(String clientId) {
        Properties p = base(clientId);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return p;
    }

    static void consumeAssigned(String isolation, int want) throws Exception {
        Properties p = consumerProps("capture-java-assign");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            int got = pollUntil(c, want);
            System.out.println("java:   " + isolation + " read " + got + " of " + want);
            c.endOffsets(List.of(tp));
        }
    }

    static void consumeGroup(String protocol, String group, int want) throws Exception {
        Properties p = consumerProps("capture-java-" + protocol);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        if (protocol.equals("classic")) p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "200");
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(TOPIC));
            int got = pollUntil(c, want);
            // Stay a little longer in the group so that heartbeats are sent.
            long until = System.currentTimeMillis() + 1500;
            while (System.currentTimeMillis() < until) c.poll(Duration.ofMillis(200));
            System.out.println("java:   group " + protocol + " read " + got + " of " + want);
            c.commitSync();
            c.committed(Set.of(new TopicPartition(TOPIC, 0)));
        }
    }

    static int pollUntil(KafkaConsumer<String, String> c, int want) {
        int got = 0;
        long deadline = System.currentTimeMillis() + 20_000;
        while (got < want && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) got++;
        }
        return got;
    }
}
