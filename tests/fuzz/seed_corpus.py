#!/usr/bin/env python3
"""Builds the seed corpora of the protocol fuzz targets (used by tests/fuzz/run.sh).

    seed_corpus.py --captures tests/data/captures --regressions tests/fuzz/regressions --out DIR

DIR/request_decode_fuzz/   every captured request frame, and regressions/request-*
DIR/response_decode_fuzz/  every captured response frame with its api key and version (two big-endian
                           int16) in front, as that target expects, and regressions/response-*
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--captures", type=Path, required=True)
    ap.add_argument("--regressions", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--schemas", type=Path, default=ROOT / "src/protocol/schemas")
    args = ap.parse_args()

    keys = api_keys(args.schemas)
    out = {kind: args.out / f"{kind}_decode_fuzz" for kind in ("request", "response")}
    for d in out.values():
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    counts = {"request": 0, "response": 0}
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
            for kind in ("request", "response"):
                if path.name.startswith(kind + "-"):
                    shutil.copy(path, out[kind] / path.name)
                    counts[kind] += 1
    print(f"seed corpus: {counts['request']} request and {counts['response']} response inputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
