// Writes reference record batches with Apache Kafka's own Java client code (kafka-clients'
// MemoryRecordsBuilder), one file per batch, into the directory given as the first argument.
// See ../README.md for how to run it and what each file holds.
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;

public class JavaBatches {
    static final long BASE_TIMESTAMP = 1700000000000L;

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    // The records every data batch holds; the C++ test rebuilds the same list (reference_record()).
    static void appendRecords(MemoryRecordsBuilder b, int count, int valueRepeat) {
        for (int i = 0; i < count; i++) {
            long ts = BASE_TIMESTAMP + (i % 4 == 2 ? -5 : 10L * i);  // one timestamp before the base
            byte[] key = i % 5 == 3 ? null : utf8("key-" + i);
            byte[] value = i % 7 == 6 ? null : utf8(("value-" + i + " ").repeat(valueRepeat));
            Header[] headers = i % 3 == 0
                ? new Header[] {new RecordHeader("trace", utf8("t" + i)), new RecordHeader("empty", null)}
                : new Header[0];
            b.append(ts, key, value, headers);
        }
    }

    static void write(File dir, String name, MemoryRecords records) throws IOException {
        ByteBuffer buf = records.buffer();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        try (FileOutputStream out = new FileOutputStream(new File(dir, name))) {
            out.write(bytes);
        }
    }

    static MemoryRecords dataBatch(Compression c, long baseOffset, long producerId, short epoch, int sequence,
                                   boolean transactional, int leaderEpoch, int count, int valueRepeat) {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(1 << 20), RecordBatch.MAGIC_VALUE_V2, c,
            TimestampType.CREATE_TIME, baseOffset, RecordBatch.NO_TIMESTAMP, producerId, epoch, sequence,
            transactional, leaderEpoch);
        appendRecords(b, count, valueRepeat);
        return b.build();
    }

    public static void main(String[] args) throws IOException {
        File dir = new File(args[0]);
        String[] names = {"none", "gzip", "snappy", "lz4", "zstd"};
        Compression[] codecs = {Compression.NONE, Compression.gzip().build(), Compression.snappy().build(),
                                Compression.lz4().build(), Compression.zstd().build()};
        for (int i = 0; i < codecs.length; i++) {
            // Small: 10 records, plain producer (no id), base offset 0, partition leader epoch unset (-1).
            write(dir, "java-small-" + names[i] + ".bin",
                  dataBatch(codecs[i], 0, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH,
                            RecordBatch.NO_SEQUENCE, false, RecordBatch.NO_PARTITION_LEADER_EPOCH, 10, 1));
            // Large: 300 records (~60 KiB before compression, several snappy/lz4 blocks), idempotent
            // producer 1000 epoch 5 sequence 42, base offset 100, partition leader epoch 7.
            write(dir, "java-large-" + names[i] + ".bin",
                  dataBatch(codecs[i], 100, 1000, (short) 5, 42, false, 7, 300, 20));
        }
        // A transactional batch, then its commit marker and an abort marker.
        write(dir, "java-transactional-zstd.bin",
              dataBatch(Compression.zstd().build(), 500, 2000, (short) 3, 0, true, 9, 10, 1));
        write(dir, "java-commit-marker.bin",
              MemoryRecords.withEndTransactionMarker(510, BASE_TIMESTAMP + 1000, 9, 2000, (short) 3,
                                                     new EndTransactionMarker(ControlRecordType.COMMIT, 17)));
        write(dir, "java-abort-marker.bin",
              MemoryRecords.withEndTransactionMarker(511, BASE_TIMESTAMP + 2000, 9, 2000, (short) 3,
                                                     new EndTransactionMarker(ControlRecordType.ABORT, 17)));
        // LogAppendTime: the broker's clock in maxTimestamp and the timestamp-type attribute bit.
        MemoryRecordsBuilder lat = MemoryRecords.builder(ByteBuffer.allocate(1 << 16), RecordBatch.MAGIC_VALUE_V2,
            Compression.NONE, TimestampType.LOG_APPEND_TIME, 42, BASE_TIMESTAMP + 99999,
            RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, false,
            RecordBatch.NO_PARTITION_LEADER_EPOCH);
        appendRecords(lat, 3, 1);
        write(dir, "java-log-append-time.bin", lat.build());
    }
}
