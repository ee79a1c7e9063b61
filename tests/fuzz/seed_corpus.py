#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets (used by tests/fuzz/run.sh).

    seed_corpus.py --captures tests/fixtures/captures --regressions tests/fuzz/regressions --out DIR
                   [--batches tests/fixtures/batches]

DIR/request_decode_fuzz/   every captured request frame, and regressions/request-*
DIR/response_decode_fuzz/  every captured response frame with its api key and version (two big-endian
                           int16) in front, as that target expects, and regressions/response-*
DIR/batch_validation_fuzz/ every record batch real clients wrote: tests/fixtures/batches/*.bin and the
                           batches found inside captured Produce requests; regressions/batch-*
DIR/log_recovery_fuzz/     partition directories laid out from those batches as the broker writes them
                           (offsets assigned in sequence): one segment, two segments, one segment with
                           index files, and each with a torn tail; regressions/recovery-*
"""

import argparse
import json
import re
import shutil
import struct
import sys
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\d+-([A-Za-z]+)-v(\d+)-(request|response)\.bin")


def api_keys(schemas: Path) -> dict[str, int]:
    keys = {}
    for path in schemas.glob("*Request.json"):
        text = "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("//"))
        doc = json.loads(text)
        if doc.get("type") == "request":
            keys[doc["name"][: -len("Request")]] = doc["apiKey"]
    return keys


def crc32c(data: bytes) -> int:
    table = crc32c.table
    if table is None:
        table = crc32c.table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
    c = 0xFFFFFFFF
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


crc32c.table = None


def batches_in(data: bytes) -> list[bytes]:
    """Every magic-2 record batch (whole, with a matching CRC32C) inside a captured frame."""
    out, pos = [], 0
    while pos + 61 <= len(data):
        length = struct.unpack_from(">i", data, pos + 8)[0]
        end = pos + 12 + length
        if data[pos + 16] == 2 and 49 <= length and end <= len(data) and \
                struct.unpack_from(">I", data, pos + 17)[0] == crc32c(data[pos + 21:end]):
            out.append(data[pos:end])
            pos = end
        else:
            pos += 1
    return out


def segment(batches: list[bytes], base: int) -> tuple[bytes, int, list[tuple[int, int]]]:
    """The batches with base offsets assigned from `base` as the log does (the base offset is outside
    the CRC); returns the bytes, the next offset and (last offset, position) of each batch."""
    out, entries = bytearray(), []
    for b in batches:
        patched = bytearray(b)
        struct.pack_into(">q", patched, 0, base)
        last_delta = struct.unpack_from(">i", b, 23)[0]
        entries.append((base + last_delta, len(out)))
        out += patched
        base += last_delta + 1
    return bytes(out), base, entries


def recovery_seeds(batches: list[bytes]) -> dict[str, bytes]:
    seeds = {}
    groups = [batches[i:i + 4] for i in range(0, len(batches), 4)]
    for n, group in enumerate(groups):
        one, _, entries = segment(group, 0)
        seeds[f"one-{n}"] = b"\x00" + one
        seeds[f"one-torn-{n}"] = b"\x00" + one[:-7]
        seeds[f"one-zero-tail-{n}"] = b"\x00" + one + bytes(300)
        if len(group) >= 2:
            first, next_offset, _ = segment(group[:len(group) // 2], 0)
            second, _, _ = segment(group[len(group) // 2:], next_offset)
            split = struct.pack(">H", len(first)) if len(first) < 65536 else None
            if split:
                seeds[f"two-{n}"] = b"\x01" + split + first + second
                seeds[f"two-torn-{n}"] = b"\x01" + split + first + second[:-3]
        # flags bit 1 with n offset-index and m time-index entries (n, m < 8) taken from the tail.
        idx = entries[:7]
        offset_index = b"".join(struct.pack(">II", last, pos) for last, pos in idx)
        times = b"".join(struct.pack(">qI", struct.unpack_from(">q", group[i], 35)[0] + i, idx[i][0])
                         for i in range(len(idx)))
        flags = 2 | (len(idx) << 2) | (len(idx) << 5)
        seeds[f"indexed-{n}"] = bytes([flags]) + one + offset_index + times
    return seeds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--captures", type=Path, required=True)
    ap.add_argument("--regressions", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--schemas", type=Path, default=ROOT / "src/protocol/schemas")
    ap.add_argument("--batches", type=Path, default=ROOT / "tests/fixtures/batches")
    args = ap.parse_args()

    keys = api_keys(args.schemas)
    out = {kind: args.out / f"{kind}_decode_fuzz" for kind in ("request", "response")}
    out["batch"] = args.out / "batch_validation_fuzz"
    out["recovery"] = args.out / "log_recovery_fuzz"
    for d in out.values():
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    counts = {kind: 0 for kind in out}
    batches = [p.read_bytes() for p in sorted(args.batches.glob("*.bin"))] if args.batches.exists() else []
    captured = []
    if args.captures.exists():
        for path in sorted(args.captures.rglob("*-Produce-v*-request.bin")):
            captured += batches_in(path.read_bytes())
    seen = set()
    for i, b in enumerate(batches + captured):
        if b not in seen:
            seen.add(b)
            (out["batch"] / f"batch-{i:03d}").write_bytes(b)
            counts["batch"] += 1
    for name, data in recovery_seeds([b for b in batches if b[16] == 2] + captured[:8]).items():
        (out["recovery"] / name).write_bytes(data)
        counts["recovery"] += 1
    if args.captures.exists():
        for path in sorted(args.captures.rglob("*.bin")):
            m = NAME.fullmatch(path.name)
            if not m or m.group(1) not in keys:
                continue
            name = f"{path.parent.name}-{path.name}"
            data = path.read_bytes()
            if m.group(3) == "response":
                data = struct.pack(">hh", keys[m.group(1)], int(m.group(2))) + data
            (out[m.group(3)] / name).write_bytes(data)
            counts[m.group(3)] += 1
    if args.regressions.exists():
        for path in sorted(args.regressions.iterdir()):
            for kind in out:
                if path.name.startswith(kind + "-"):
                    shutil.copy(path, out[kind] / path.name)
                    counts[kind] += 1
    print("seed corpus: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + f" inputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
