#!/usr/bin/env python3
"""Recording Kafka-protocol TCP proxy, and the selector that turns its recording into the capture corpus.

Stdlib only (asyncio). Two subcommands:

  proxy.py run --listen 127.0.0.1:P --upstream 127.0.0.1:K --control 127.0.0.1:C --raw FILE
      Accept client connections on P, open one upstream connection to K per client connection and copy
      bytes both ways, frame by frame. Every frame (4-byte size prefix stripped) is appended to FILE as one
      JSON line: direction, connection, correlation id, api key and version (a response takes them from
      its request, matched by correlation id on the same connection), the current label, base64 bytes.
      Frames are forwarded unchanged. For clients to come back through the proxy the broker must
      advertise P (tools/kafka-ref/kafka.sh start DIR K P).
      Control port C takes one text line per connection and answers "ok":
        label <client> <scenario>    frames from now on belong to this client directory and scenario
        version <client> <text...>   client software version, for the manifest
        quit                         stop the proxy
  proxy.py control 127.0.0.1:C <line...>
      Send one control line (used by the shell drivers).
  proxy.py select --raw FILE --out DIR [--schemas DIR] [--per-group 2] [--max-frame BYTES]
      Write DIR/<client>/<seq>-<ApiName>-v<version>-{request,response}.bin and DIR/MANIFEST.json from the
      recording, replacing the client directories that the recording has frames for. See
      docs/formats/captures.md for the selection rules.
"""
import argparse
import asyncio
import base64
import glob
import hashlib
import json
import os
import re
import shutil
import socket
import struct
import sys
import time


def hostport(s):
    host, _, port = s.rpartition(":")
    return host or "127.0.0.1", int(port)


# ---------------------------------------------------------------- run

class Recorder:
    def __init__(self, raw_path):
        self.out = open(raw_path, "a", encoding="ascii")
        self.client = "unlabelled"
        self.scenario = "unlabelled"
        self.conn_seq = 0
        self.frame_seq = 0

    def write(self, rec):
        self.frame_seq += 1
        rec["n"] = self.frame_seq
        rec["t"] = round(time.time(), 6)
        self.out.write(json.dumps(rec, separators=(",", ":")) + "\n")
        self.out.flush()


def parse_request_header(frame):
    """api_key, api_version, correlation_id, client_id (None if absent/unparseable)."""
    if len(frame) < 8:
        return None, None, None, None
    api_key, api_version, corr = struct.unpack(">hhi", frame[:8])
    client_id = None
    if len(frame) >= 10:
        (n,) = struct.unpack(">h", frame[8:10])
        if 0 <= n <= len(frame) - 10:
            client_id = frame[10:10 + n].decode("utf-8", "replace")
    return api_key, api_version, corr, client_id


async def read_frame(reader):
    prefix = await reader.readexactly(4)
    (size,) = struct.unpack(">i", prefix)
    if size < 0 or size > 256 * 1024 * 1024:
        raise ValueError("bad frame size %d" % size)
    return await reader.readexactly(size)


async def pump_requests(rec, conn, pending, creader, uwriter):
    while True:
        frame = await read_frame(creader)
        api_key, api_version, corr, client_id = parse_request_header(frame)
        label = (rec.client, rec.scenario)
        pending[corr] = (api_key, api_version, label)
        rec.write({"dir": "request", "conn": conn, "client": label[0], "scenario": label[1],
                   "api_key": api_key, "api_version": api_version, "corr": corr,
                   "client_id": client_id, "data": base64.b64encode(frame).decode()})
        uwriter.write(struct.pack(">i", len(frame)) + frame)
        await uwriter.drain()


async def pump_responses(rec, conn, pending, ureader, cwriter):
    while True:
        frame = await read_frame(ureader)
        corr = struct.unpack(">i", frame[:4])[0] if len(frame) >= 4 else None
        api_key, api_version, label = pending.pop(corr, (None, None, (rec.client, rec.scenario)))
        rec.write({"dir": "response", "conn": conn, "client": label[0], "scenario": label[1],
                   "api_key": api_key, "api_version": api_version, "corr": corr,
                   "data": base64.b64encode(frame).decode()})
        cwriter.write(struct.pack(">i", len(frame)) + frame)
        await cwriter.drain()


async def handle_client(rec, upstream, creader, cwriter):
    rec.conn_seq += 1
    conn = rec.conn_seq
    try:
        ureader, uwriter = await asyncio.open_connection(*upstream)
    except OSError:
        cwriter.close()
        return
    pending = {}
    tasks = [asyncio.ensure_future(pump_requests(rec, conn, pending, creader, uwriter)),
             asyncio.ensure_future(pump_responses(rec, conn, pending, ureader, cwriter))]
    # Either side closing (or a framing error) ends the pair: Kafka connections are symmetric.
    done, rest = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for t in rest:
        t.cancel()
    for t in done:
        t.exception()  # consume: EOF / reset are the normal way a connection ends
    for w in (uwriter, cwriter):
        try:
            w.close()
        except Exception:
            pass


async def handle_control(rec, stop, reader, writer):
    line = (await reader.readline()).decode().strip()
    words = line.split()
    reply = "ok"
    if len(words) == 3 and words[0] == "label":
        rec.client, rec.scenario = words[1], words[2]
        rec.write({"dir": "label", "client": rec.client, "scenario": rec.scenario})
    elif len(words) >= 3 and words[0] == "version":
        rec.write({"dir": "version", "client": words[1], "version": " ".join(words[2:])})
    elif words == ["quit"]:
        stop.set()
    else:
        reply = "error: " + line
    writer.write((reply + "\n").encode())
    await writer.drain()
    writer.close()


async def run(args):
    rec = Recorder(args.raw)
    stop = asyncio.Event()
    upstream = hostport(args.upstream)
    lhost, lport = hostport(args.listen)
    chost, cport = hostport(args.control)
    srv = await asyncio.start_server(lambda r, w: handle_client(rec, upstream, r, w), lhost, lport)
    ctl = await asyncio.start_server(lambda r, w: handle_control(rec, stop, r, w), chost, cport)
    print("proxy listening on %s:%d -> %s:%d, control %s:%d" % (lhost, lport, upstream[0], upstream[1],
                                                                  chost, cport), flush=True)
    await stop.wait()
    srv.close()
    ctl.close()
    rec.out.close()


def control(addr, line):
    host, port = hostport(addr)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection((host, port), timeout=5) as s:
                s.sendall((line + "\n").encode())
                reply = s.makefile().readline().strip()
                if reply != "ok":
                    raise SystemExit("proxy control: " + reply)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# ---------------------------------------------------------------- select

def api_names(schemas_dir):
    names = {}
    for path in glob.glob(os.path.join(schemas_dir, "*Request.json")):
        with open(path, encoding="utf-8") as f:
            text = "\n".join(l for l in f if not l.strip().startswith("//"))
        obj = json.loads(text)
        if obj.get("type") == "request":
            names[obj["apiKey"]] = obj["name"][: -len("Request")]
    return names


def strip_corr(frame, is_request):
    """The frame with its correlation id zeroed, to compare content across captures."""
    off = 4 if is_request else 0
    return frame[:off] + b"\0\0\0\0" + frame[off + 4:]


def origin(client_id):
    """The broker reaches itself through its advertised listener, i.e. through the proxy: these frames are
    the broker's own inter-broker requests (transaction markers, KIP-890 partition verification)."""
    cid = client_id or ""
    return "broker" if cid.startswith("broker-") or cid.startswith("AddPartitionsManager-") else "client"


def select(args):
    names = api_names(args.schemas)
    reqs, resps, versions = [], {}, {}
    with open(args.raw, encoding="ascii") as f:
        for line in f:
            r = json.loads(line)
            if r["dir"] == "version":
                versions[r["client"]] = r["version"]
            elif r["dir"] == "request":
                r["bytes"] = base64.b64decode(r["data"])
                reqs.append(r)
            elif r["dir"] == "response":
                r["bytes"] = base64.b64decode(r["data"])
                resps.setdefault((r["conn"], r["corr"]), []).append(r)

    # Pair each request with the first later response that carries its correlation id on its connection.
    groups = {}
    for q in reqs:
        if q["client"] == "unlabelled" or q["api_key"] is None:
            continue
        cands = [p for p in resps.get((q["conn"], q["corr"]), []) if p["n"] > q["n"]]
        p = cands[0] if cands else None
        if p is not None:
            resps[(q["conn"], q["corr"])].remove(p)
        key = (q["client"], q["api_key"], q["api_version"], q["scenario"])
        groups.setdefault(key, []).append((q, p))

    kept, seen = [], set()
    for key in sorted(groups, key=lambda k: groups[k][0][0]["n"]):
        pairs = groups[key]
        size = lambda qp: len(qp[0]["bytes"]) + (len(qp[1]["bytes"]) if qp[1] else 0)
        small = [qp for qp in pairs if size(qp) <= args.max_frame] or pairs
        complete = [qp for qp in small if qp[1] is not None] or small
        # The first exchange of the scenario, then the biggest ones (a fetch that returned records rather
        # than an empty long poll, the metadata of most topics), skipping exchanges whose bytes, apart
        # from the correlation id, were already kept for this client, API and version.
        order = [complete[0]] + sorted(complete[1:], key=size, reverse=True)
        n = 0
        for q, p in order:
            if n >= args.per_group:
                break
            sig = (key[0], key[1], key[2], hashlib.sha256(strip_corr(q["bytes"], True)).hexdigest(),
                   hashlib.sha256(strip_corr(p["bytes"], False)).hexdigest() if p else None)
            if sig in seen:
                continue
            seen.add(sig)
            kept.append((q, p))
            n += 1

    clients = sorted({q["client"] for q, _ in kept})
    for c in clients:
        shutil.rmtree(os.path.join(args.out, c), ignore_errors=True)
        os.makedirs(os.path.join(args.out, c))

    manifest_path = os.path.join(args.out, "MANIFEST.json")
    old = {}
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as f:
            prev = json.load(f)
        old = {e["file"]: e for e in prev.get("files", []) if e["client"] not in clients}
        for c, v in prev.get("clients", {}).items():
            versions.setdefault(c, v)

    entries, seq = [], {}
    for q, p in sorted(kept, key=lambda qp: qp[0]["n"]):
        c = q["client"]
        seq[c] = seq.get(c, 0) + 1
        api = names.get(q["api_key"], "ApiKey%d" % q["api_key"])
        stem = "%04d-%s-v%d" % (seq[c], api, q["api_version"])
        for kind, r in (("request", q), ("response", p)):
            if r is None:
                continue
            rel = "%s/%s-%s.bin" % (c, stem, kind)
            with open(os.path.join(args.out, rel), "wb") as f:
                f.write(r["bytes"])
            entries.append({"file": rel, "client": c, "client_version": versions.get(c, "?"),
                            "scenario": q["scenario"], "api": api, "api_key": q["api_key"],
                            "version": q["api_version"], "kind": kind, "correlation_id": q["corr"],
                            "client_id": q.get("client_id"), "origin": origin(q.get("client_id")),
                            "size": len(r["bytes"])})
    entries.extend(old.values())
    entries.sort(key=lambda e: e["file"])
    manifest = {
        "about": "Kafka protocol frames recorded by tools/capture/capture.sh between real clients and "
                 "Apache Kafka 4.4.0; see docs/formats/captures.md. Each .bin is one frame without its "
                 "4-byte size prefix: request = request header + body, response = response header + body. "
                 "origin=broker marks the broker's own inter-broker requests, which also went through the proxy.",
        "broker": "Apache Kafka 4.4.0 (single-node KRaft)",
        "clients": {c: versions.get(c, "?") for c in sorted({e["client"] for e in entries})},
        "files": entries,
    }
    with open(manifest_path, "w", encoding="utf-8") as f:
        # One line per file: small, and diffs of a regeneration stay readable.
        head = json.dumps({k: v for k, v in manifest.items() if k != "files"}, indent=1)
        f.write(head[:-2] + ',\n "files": [\n')
        f.write(",\n".join("  " + json.dumps(e, separators=(",", ":")) for e in entries))
        f.write("\n ]\n}\n")
    total = sum(e["size"] for e in entries)
    print("select: %d files, %d bytes of frames, clients %s" % (len(entries), total, ", ".join(clients)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--listen", required=True)
    r.add_argument("--upstream", required=True)
    r.add_argument("--control", required=True)
    r.add_argument("--raw", required=True)
    c = sub.add_parser("control")
    c.add_argument("addr")
    c.add_argument("line", nargs="+")
    s = sub.add_parser("select")
    s.add_argument("--raw", required=True)
    s.add_argument("--out", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    s.add_argument("--schemas", default=os.path.join(here, "..", "..", "src", "protocol", "schemas"))
    s.add_argument("--per-group", type=int, default=2)
    s.add_argument("--max-frame", type=int, default=64 * 1024)
    args = ap.parse_args()
    if args.cmd == "run":
        asyncio.run(run(args))
    elif args.cmd == "control":
        control(args.addr, " ".join(args.line))
    else:
        select(args)


if __name__ == "__main__":
    main()
