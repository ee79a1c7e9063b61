// Java kafka-clients round trip, driven by test_produce_consume.py: for each codec, creates a topic
// with the Admin client, produces the deterministic record set of helpers.py (gen_record) with the
// producer's defaults (idempotence on, acks=all) plus compression.type, then reads it back with a
// consumer on manual assignment (no group) and compares every record. Prints one JSON line per codec:
//   {"codec", "topic", "produced", "acked", "errors", "firstError", "ackOffsetMismatches",
//    "produceMs", "consumeMs", "endOffsets": {p: n}, "partitions": {p: {count, first, last, checksum}},
//    "mismatches", "firstMismatches": [..]}
// The checksum per partition is CRC-32 over (offset, timestamp, key, value, headers) exactly as
// helpers.checksum computes it, so the test checks the Java program too.
//
// Usage: java -cp 'tools/kafka-ref/lib/*' ProduceConsume.java host:port records partitions
//        codec[,codec...] topic-prefix base-timestamp-ms
// (record i has CreateTime base + i: give a base a little before now, or a broker's time-based
// retention may delete the records during the run)
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class ProduceConsume {
    static long BASE_TIMESTAMP;

    // ---- the generator of helpers.gen_record ----
    static byte[] key(int i) {
        return i % 97 == 0 ? null : ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] value(int i) {
        if (i % 101 == 1) return null;
        int length = (int) (((long) i * 37) % 301);
        byte[] text = ("v" + i + ":").getBytes(StandardCharsets.UTF_8);
        byte[] buf = new byte[length];
        for (int k = 0; k < length; k++) buf[k] = text[k % text.length];
        for (int k = 0; k < length; k += 16) buf[k] = (byte) (((long) i * 31 + k) & 0xFF);
        return buf;
    }

    static List<Header> headers(int i) {
        List<Header> h = new ArrayList<>();
        if (i % 5 == 0) return h;
        h.add(new RecordHeader("idx", String.valueOf(i).getBytes(StandardCharsets.UTF_8)));
        h.add(new RecordHeader("bin", new byte[] {(byte) (i & 0xFF), 0, (byte) 0xFF}));
        if (i % 7 == 0) h.add(new RecordHeader("nul", null));
        return h;
    }

    // ---- helpers.record_digest_bytes ----
    static void blob(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    static byte[] digest(long offset, long timestamp, byte[] key, byte[] value, Iterable<Header> headers)
            throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bos);
        out.writeLong(offset);
        out.writeLong(timestamp);
        blob(out, key);
        blob(out, value);
        List<Header> hs = new ArrayList<>();
        headers.forEach(hs::add);
        out.writeInt(hs.size());
        for (Header h : hs) {
            blob(out, h.key().getBytes(StandardCharsets.UTF_8));
            blob(out, h.value());
        }
        out.flush();
        return bos.toByteArray();
    }

    static String json(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        int records = Integer.parseInt(args[1]);
        int partitions = Integer.parseInt(args[2]);
        String[] codecs = args[3].split(",");
        String prefix = args[4];
        BASE_TIMESTAMP = Long.parseLong(args[5]);
        for (String codec : codecs) {
            System.out.println(run(bootstrap, records, partitions, codec, prefix + "-" + codec));
            System.out.flush();
        }
    }

    static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(10, TimeUnit.SECONDS).get(topic);
                    if (d.partitions().size() == partitions
                            && d.partitions().stream().allMatch((TopicPartitionInfo p) -> p.leader() != null)) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) throw e;
                }
                if (System.nanoTime() > deadline) throw new IllegalStateException("topic " + topic + " has no leaders");
                Thread.sleep(100);
            }
        }
    }

    static String run(String bootstrap, int records, int partitions, String codec, String topic) throws Exception {
        createTopic(bootstrap, topic, partitions);

        // ---- produce ----
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        pp.put(ProducerConfig.CLIENT_ID_CONFIG, "produce-consume-" + codec);
        AtomicLong acked = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong ackMismatches = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer =
                 new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                final int p = i % partitions;
                final long expectedOffset = i / partitions;
                ProducerRecord<byte[], byte[]> rec =
                    new ProducerRecord<>(topic, p, BASE_TIMESTAMP + i, key(i), value(i), headers(i));
                producer.send(rec, (md, ex) -> {
                    if (ex != null) {
                        errors.incrementAndGet();
                        firstError.compareAndSet(null, ex.toString());
                    } else {
                        acked.incrementAndGet();
                        if (md.partition() != p || md.offset() != expectedOffset) {
                            if (ackMismatches.incrementAndGet() == 1) {
                                firstError.compareAndSet(null, "ack at p" + md.partition() + "@" + md.offset()
                                    + ", expected p" + p + "@" + expectedOffset);
                            }
                        }
                    }
                });
            }
            producer.flush();
        }
        long produceMs = (System.nanoTime() - t0) / 1_000_000;

        // ---- consume (manual assignment, no group) ----
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.CLIENT_ID_CONFIG, "produce-consume-reader-" + codec);
        cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        long[] expectedCount = new long[partitions];
        for (int p = 0; p < partitions; p++) expectedCount[p] = records / partitions + (p < records % partitions ? 1 : 0);
        long[] next = new long[partitions];
        long[] first = new long[partitions];
        long[] last = new long[partitions];
        Arrays.fill(first, -1);
        Arrays.fill(last, -1);
        CRC32[] crc = new CRC32[partitions];
        for (int p = 0; p < partitions; p++) crc[p] = new CRC32();
        long mismatches = 0;
        List<String> firstMismatches = new ArrayList<>();
        Map<Integer, Long> endOffsets = new LinkedHashMap<>();
        long t1 = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> consumer =
                 new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            consumer.endOffsets(tps, Duration.ofSeconds(30)).forEach((tp, o) -> endOffsets.put(tp.partition(), o));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                boolean done = true;
                for (int p = 0; p < partitions; p++) done &= next[p] >= expectedCount[p];
                if (done) break;
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    int p = r.partition();
                    long off = r.offset();
                    if (first[p] < 0) first[p] = off;
                    last[p] = off;
                    crc[p].update(digest(off, r.timestamp(), r.key(), r.value(), r.headers()));
                    String problem = null;
                    if (off != next[p]) {
                        problem = "p" + p + ": offset " + off + " where " + next[p] + " was expected";
                    } else {
                        int i = (int) (off * partitions + p);
                        if (i >= records) {
                            problem = "p" + p + "@" + off + ": beyond the produced records";
                        } else if (!Arrays.equals(digest(off, r.timestamp(), r.key(), r.value(), r.headers()),
                                                  digest(off, BASE_TIMESTAMP + i, key(i), value(i), headers(i)))) {
                            problem = "p" + p + "@" + off + ": record differs from record " + i;
                        } else if (r.timestampType() != TimestampType.CREATE_TIME) {
                            problem = "p" + p + "@" + off + ": timestamp type " + r.timestampType();
                        }
                    }
                    if (problem != null) {
                        mismatches++;
                        if (firstMismatches.size() < 5) firstMismatches.add(problem);
                    }
                    next[p] = off + 1;
                }
            }
        }
        long consumeMs = (System.nanoTime() - t1) / 1_000_000;

        StringBuilder parts = new StringBuilder();
        for (int p = 0; p < partitions; p++) {
            if (p > 0) parts.append(',');
            long count = first[p] < 0 ? 0 : last[p] - first[p] + 1;
            parts.append(String.format("\"%d\":{\"count\":%d,\"first\":%s,\"last\":%s,\"checksum\":%d}", p, count,
                first[p] < 0 ? "null" : String.valueOf(first[p]), last[p] < 0 ? "null" : String.valueOf(last[p]),
                crc[p].getValue()));
        }
        StringBuilder ends = new StringBuilder();
        endOffsets.forEach((p, o) -> ends.append(ends.length() == 0 ? "" : ",").append(String.format("\"%d\":%d", p, o)));
        StringBuilder fm = new StringBuilder();
        for (String s : firstMismatches) fm.append(fm.length() == 0 ? "" : ",").append(json(s));
        return String.format("{\"codec\":%s,\"topic\":%s,\"produced\":%d,\"acked\":%d,\"errors\":%d,\"firstError\":%s,"
                + "\"ackOffsetMismatches\":%d,\"produceMs\":%d,\"consumeMs\":%d,\"endOffsets\":{%s},\"partitions\":{%s},"
                + "\"mismatches\":%d,\"firstMismatches\":[%s]}",
            json(codec), json(topic), records, acked.get(), errors.get(), json(firstError.get()), ackMismatches.get(),
            produceMs, consumeMs, ends, parts, mismatches, fm);
    }
}
