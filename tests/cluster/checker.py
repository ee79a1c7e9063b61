"""History checker for a replicated log: did the cluster lose, reorder or invent anything?

Pure functions, no I/O. The input is a history (a dict, the same shape as the JSON that run.py saves):

    {
      "sends": [ {"producer": "p0", "partition": "chaos/0", "value": "p0-17",
                  "start": 12.5, "end": 12.53,            # seconds, any monotonic clock; end None = never completed
                  "outcome": "ok" | "failed" | "unknown",  # failed = certainly not written
                  "offset": 41 }, ... ],                   # the acknowledged offset (ok sends only)
      "polls": [ {"consumer": "c0", "partition": "chaos/0", "offset": 41, "value": "p0-17"}, ... ],
                                                           # optional: records seen while the run went on,
                                                           # in the order each consumer saw them
      "final_reads": { "chaos/0": {"records": [[0, "p1-0"], [1, "p0-0"], ...],
                                   "end_offset": 3210,      # every offset below this was read
                                   "high_watermark": 3210}, ... }
    }

The order of a producer's sends in "sends" is the order it issued them (its sequential order); the checker
never sorts them. check() returns a Result whose anomalies are data (kind, partition, offsets, values,
detail); an empty list means the history is consistent with a log that kept every acknowledged record
exactly once, at its acknowledged offset, in acknowledgement order.

Anomaly kinds:
  lost-write            an ok send (or an unknown one that a consumer saw during the run) whose value the
                        final read did not return, although the final read covers its offset (offset <
                        end_offset, or the read reached the high watermark and the log now ends below the
                        offset: truncated)
  inconsistent-offset   two different values at one offset (between reads, or two ok sends acknowledged at
                        the same offset)
  offset-mismatch       a value read at an offset other than the one its send was acknowledged at
  duplicate             one value at two offsets
  wrong-partition       a value read in a partition other than the one it was sent to
  unexpected-value      a value read that no send produced
  failed-write-visible  a value read whose send was reported as certainly failed
  nonmonotonic-send     one producer's ok sends to a partition acknowledged at offsets that do not increase
                        in the order it issued them
  realtime-send-order   an ok send acknowledged at an offset not above the offset of a send that completed
                        before it started (by any producer)
  nonmonotonic-poll     a consumer saw an offset not above the one it saw before on that partition
  skipped-poll          a consumer jumped over offsets at which some read found a record
Unknown-outcome sends are not anomalies either way; they are counted as present or absent.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field, asdict
from typing import Any, Iterable

OK, FAILED, UNKNOWN = "ok", "failed", "unknown"

KINDS = (
    "lost-write",
    "inconsistent-offset",
    "offset-mismatch",
    "duplicate",
    "wrong-partition",
    "unexpected-value",
    "failed-write-visible",
    "nonmonotonic-send",
    "realtime-send-order",
    "nonmonotonic-poll",
    "skipped-poll",
)


@dataclass(frozen=True)
class Anomaly:
    kind: str
    partition: str
    offsets: tuple = ()
    values: tuple = ()
    detail: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["offsets"] = list(self.offsets)
        d["values"] = list(self.values)
        return d


@dataclass
class Result:
    anomalies: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.anomalies

    def by_kind(self) -> dict:
        out: dict = defaultdict(int)
        for a in self.anomalies:
            out[a.kind] += 1
        return dict(out)

    def to_dict(self, max_anomalies: int | None = None) -> dict:
        anomalies = self.anomalies if max_anomalies is None else self.anomalies[:max_anomalies]
        return {"ok": self.ok, "counts": dict(self.counts), "anomalies_by_kind": self.by_kind(),
                "anomalies": [a.to_dict() for a in anomalies]}


def _reads(history: dict) -> Iterable[tuple[str, int, Any, str]]:
    """Every record observed, as (partition, offset, value, source), final reads first."""
    for part, fr in sorted((history.get("final_reads") or {}).items()):
        for off, val in fr.get("records", []):
            yield part, int(off), val, "final"
    for p in history.get("polls") or []:
        yield p["partition"], int(p["offset"]), p["value"], "poll:" + str(p.get("consumer", "?"))


def check_offsets(history: dict) -> list[Anomaly]:
    """inconsistent-offset and duplicate over every read, plus ok sends acknowledged at one offset."""
    out: list[Anomaly] = []
    at_offset: dict = defaultdict(dict)      # part -> offset -> value (first seen)
    conflict_seen: set = set()
    offsets_of: dict = defaultdict(set)       # (part, value) -> offsets
    for part, off, val, _src in _reads(history):
        first = at_offset[part].setdefault(off, val)
        if first != val and (part, off, val) not in conflict_seen:
            conflict_seen.add((part, off, val))
            out.append(Anomaly("inconsistent-offset", part, (off,), (first, val),
                               f"offset {off} read as {first!r} and as {val!r}"))
        offsets_of[(part, val)].add(off)
    for (part, val), offs in sorted(offsets_of.items(), key=lambda kv: (kv[0][0], min(kv[1]))):
        if len(offs) > 1:
            o = tuple(sorted(offs))
            out.append(Anomaly("duplicate", part, o, (val,), f"{val!r} read at offsets {list(o)}"))
    acked: dict = defaultdict(dict)
    for s in history.get("sends") or []:
        if s.get("outcome") != OK or s.get("offset") is None:
            continue
        part, off = s["partition"], int(s["offset"])
        first = acked[part].setdefault(off, s["value"])
        if first != s["value"]:
            out.append(Anomaly("inconsistent-offset", part, (off,), (first, s["value"]),
                               f"two sends acknowledged at offset {off}"))
    return out


def check_reads_against_sends(history: dict) -> tuple[list[Anomaly], dict]:
    """lost-write, offset-mismatch, wrong-partition, unexpected-value, failed-write-visible; unknown counts."""
    out: list[Anomaly] = []
    sends_by_value = {}
    for s in history.get("sends") or []:
        sends_by_value[s["value"]] = s
    seen: dict = defaultdict(set)            # value -> {(part, offset)} over all reads
    for part, off, val, _src in _reads(history):
        seen[val].add((part, off))
    final_values: dict = {}                  # part -> set of values in the final read
    for part, fr in (history.get("final_reads") or {}).items():
        final_values[part] = {v for _o, v in fr.get("records", [])}

    reported: set = set()
    for val in sorted(seen, key=str):
        s = sends_by_value.get(val)
        where = sorted(seen[val])
        if s is None:
            for part, off in where:
                out.append(Anomaly("unexpected-value", part, (off,), (val,), "no send produced this value"))
            continue
        for part, off in where:
            if part != s["partition"]:
                out.append(Anomaly("wrong-partition", part, (off,), (val,), f"sent to {s['partition']}"))
            elif s.get("outcome") == OK and s.get("offset") is not None and int(s["offset"]) != off \
                    and (part, off, val) not in reported:
                reported.add((part, off, val))
                out.append(Anomaly("offset-mismatch", part, (int(s["offset"]), off), (val,),
                                   f"acknowledged at {s['offset']}, read at {off}"))
        if s.get("outcome") == FAILED:
            out.append(Anomaly("failed-write-visible", s["partition"], tuple(o for _p, o in where), (val,),
                               "send reported as failed, value read back"))

    counts = {"ok_verified": 0, "ok_unverified": 0, "unknown_present": 0, "unknown_absent": 0,
              "unknown_unverified": 0, "failed_absent": 0}
    finals = history.get("final_reads") or {}
    for s in history.get("sends") or []:
        part, val, outcome = s["partition"], s["value"], s.get("outcome")
        fr = finals.get(part)
        present = fr is not None and val in final_values.get(part, ())
        if outcome == FAILED:
            if not seen.get(val):
                counts["failed_absent"] += 1
            continue
        if outcome == UNKNOWN:
            polled = [o for p_, o in seen.get(val, ()) if p_ == part]
            if present:
                counts["unknown_present"] += 1
            elif polled and fr is not None:
                # A consumer saw it during the run, so it was committed: it must survive like an ok send.
                end, hw = int(fr.get("end_offset", 0)), int(fr.get("high_watermark", 0))
                off = min(polled)
                if off < end or end >= hw:
                    out.append(Anomaly("lost-write", part, (off,), (val,),
                                       f"outcome unknown but read at {off} during the run; the final read "
                                       f"(to {end}, log end {hw}) does not have it"))
                else:
                    counts["unknown_unverified"] += 1
            elif polled:
                counts["unknown_present"] += 1
            elif fr is not None and int(fr.get("end_offset", 0)) >= int(fr.get("high_watermark", 0)):
                counts["unknown_absent"] += 1
            else:
                counts["unknown_unverified"] += 1
            continue
        if present:
            counts["ok_verified"] += 1
            continue
        off = s.get("offset")
        if fr is None or off is None:
            counts["ok_unverified"] += 1
            continue
        end, hw = int(fr.get("end_offset", 0)), int(fr.get("high_watermark", 0))
        if int(off) < end:
            out.append(Anomaly("lost-write", part, (int(off),), (val,),
                               f"acknowledged at {off}; the final read covers offsets below {end}"))
        elif end >= hw:
            out.append(Anomaly("lost-write", part, (int(off),), (val,),
                               f"acknowledged at {off}; the log now ends at {hw} (truncated)"))
        else:
            counts["ok_unverified"] += 1
    return out, counts


def check_sends(history: dict) -> list[Anomaly]:
    """nonmonotonic-send (per producer and partition, issue order) and realtime-send-order."""
    out: list[Anomaly] = []
    last: dict = {}                          # (producer, part) -> (offset, value)
    per_part: dict = defaultdict(list)
    for s in history.get("sends") or []:
        if s.get("outcome") != OK or s.get("offset") is None:
            continue
        part, off = s["partition"], int(s["offset"])
        key = (s.get("producer"), part)
        prev = last.get(key)
        if prev is not None and off <= prev[0]:
            out.append(Anomaly("nonmonotonic-send", part, (prev[0], off), (prev[1], s["value"]),
                               f"producer {s.get('producer')} sent {prev[1]!r} before {s['value']!r}"))
        if prev is None or off > prev[0]:
            last[key] = (off, s["value"])
        if s.get("start") is not None and s.get("end") is not None:
            per_part[part].append(s)
    # Real-time order: for a send b, every send a with a.end < b.start must have a.offset < b.offset.
    for part, sends in sorted(per_part.items()):
        by_end = sorted(sends, key=lambda s: s["end"])
        ends = [s["end"] for s in by_end]
        # prefix maximum of offsets over sends ordered by completion time
        pre_max: list = []
        best = None
        for s in by_end:
            if best is None or int(s["offset"]) > int(best["offset"]):
                best = s
            pre_max.append(best)
        for b in sends:
            i = bisect.bisect_left(ends, b["start"])  # sends with end < b.start are by_end[:i]
            if i == 0:
                continue
            a = pre_max[i - 1]
            if int(a["offset"]) >= int(b["offset"]):
                out.append(Anomaly("realtime-send-order", part, (int(a["offset"]), int(b["offset"])),
                                   (a["value"], b["value"]),
                                   f"{a['value']!r} was acknowledged before {b['value']!r} was sent"))
    return out


def check_polls(history: dict) -> list[Anomaly]:
    """nonmonotonic-poll and skipped-poll over each consumer's sequence on each partition."""
    out: list[Anomaly] = []
    known: dict = defaultdict(set)           # part -> offsets at which any read found a record
    for part, off, _val, _src in _reads(history):
        known[part].add(off)
    known_sorted = {p: sorted(s) for p, s in known.items()}
    last: dict = {}
    for p in history.get("polls") or []:
        part, off, val = p["partition"], int(p["offset"]), p["value"]
        key = (p.get("consumer"), part)
        prev = last.get(key)
        last[key] = (off, val)
        if prev is None:
            continue
        if off <= prev[0]:
            out.append(Anomaly("nonmonotonic-poll", part, (prev[0], off), (prev[1], val),
                               f"consumer {p.get('consumer')} read {off} after {prev[0]}"))
        elif off > prev[0] + 1:
            ks = known_sorted.get(part, [])
            lo = bisect.bisect_right(ks, prev[0])
            hi = bisect.bisect_left(ks, off)
            if hi > lo:
                skipped = ks[lo:hi]
                out.append(Anomaly("skipped-poll", part, (prev[0], off), (prev[1], val),
                                   f"consumer {p.get('consumer')} skipped {len(skipped)} record(s) from "
                                   f"offset {skipped[0]}"))
    return out


def check(history: dict) -> Result:
    """Run every check; anomalies are ordered by kind (in KINDS order), then partition and offsets."""
    anomalies: list[Anomaly] = []
    anomalies += check_offsets(history)
    read_anoms, counts = check_reads_against_sends(history)
    anomalies += read_anoms
    anomalies += check_sends(history)
    anomalies += check_polls(history)
    rank = {k: i for i, k in enumerate(KINDS)}
    anomalies.sort(key=lambda a: (rank.get(a.kind, len(rank)), a.partition, a.offsets))

    sends = history.get("sends") or []
    outcomes: dict = defaultdict(int)
    for s in sends:
        outcomes[s.get("outcome")] += 1
    finals = history.get("final_reads") or {}
    counts = {
        "sends": len(sends),
        "sends_ok": outcomes[OK],
        "sends_failed": outcomes[FAILED],
        "sends_unknown": outcomes[UNKNOWN],
        "records_read": sum(len(fr.get("records", [])) for fr in finals.values()),
        "polls": len(history.get("polls") or []),
        "partitions_read": len(finals),
        **counts,
    }
    return Result(anomalies, counts)
