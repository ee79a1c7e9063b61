"""Writes reference record batches with kafka-python's own encoder (DefaultRecordBatchBuilder), an
implementation independent of Kafka's Java client. See ../README.md.

    pip install kafka-python==3.0.12 python-snappy lz4 zstandard
    python3 python_batches.py ..
"""
import os
import sys

from kafka.record.default_records import DefaultRecordBatchBuilder

BASE_TIMESTAMP = 1700000000000
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def records(count, value_repeat):
    """The same records JavaBatches.java writes (reference_record() in the C++ test)."""
    for i in range(count):
        ts = BASE_TIMESTAMP + (-5 if i % 4 == 2 else 10 * i)
        key = None if i % 5 == 3 else ("key-%d" % i).encode()
        value = None if i % 7 == 6 else (("value-%d " % i) * value_repeat).encode()
        headers = [("trace", ("t%d" % i).encode()), ("empty", None)] if i % 3 == 0 else []
        yield i, ts, key, value, headers


def main(out_dir):
    for name, codec in CODECS.items():
        # 300 records, idempotent producer 1000 epoch 5 sequence 42; kafka-python writes base offset 0.
        b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=False,
                                      producer_id=1000, producer_epoch=5, base_sequence=42,
                                      batch_size=1 << 20)
        for offset, ts, key, value, headers in records(300, 20):
            b.append(offset, ts, key, value, headers)
        with open(os.path.join(out_dir, "python-large-%s.bin" % name), "wb") as f:
            f.write(bytes(b.build()))


if __name__ == "__main__":
    main(sys.argv[1])
