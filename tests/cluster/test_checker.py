"""Synthetic histories for checker.py: a clean one passes, each anomaly is caught. Runs in milliseconds."""

import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checker  # noqa: E402

P = "t/0"
Q = "t/1"


def send(producer, value, start, end, outcome="ok", offset=None, partition=P):
    return {"producer": producer, "partition": partition, "value": value, "start": start, "end": end,
            "outcome": outcome, "offset": offset}


def clean_history():
    """Two producers on two partitions, pipelined sends, one unknown that landed, one that did not,
    one certain failure, a live consumer, and final reads covering everything."""
    sends = [
        send("p0", "a0", 0.0, 1.0, offset=0),
        send("p0", "a1", 0.1, 1.1, offset=1),           # pipelined: started before a0 completed
        send("p1", "b0", 0.5, 1.2, offset=2),
        send("p0", "a2", 1.5, 2.0, offset=3),
        send("p1", "b1", 1.6, None, outcome="unknown"),  # landed at offset 4
        send("p1", "b2", 2.5, 3.0, outcome="unknown"),   # never landed
        send("p0", "a3", 2.6, 2.7, outcome="failed"),
        send("p1", "b3", 3.1, 3.5, offset=5),
        send("p0", "q0", 0.0, 0.4, offset=0, partition=Q),
        send("p0", "q1", 0.5, 0.9, offset=1, partition=Q),
    ]
    final = {
        P: {"records": [[0, "a0"], [1, "a1"], [2, "b0"], [3, "a2"], [4, "b1"], [5, "b3"]],
            "end_offset": 6, "high_watermark": 6},
        Q: {"records": [[0, "q0"], [1, "q1"]], "end_offset": 2, "high_watermark": 2},
    }
    polls = [
        {"consumer": "c0", "partition": P, "offset": 0, "value": "a0"},
        {"consumer": "c0", "partition": Q, "offset": 0, "value": "q0"},
        {"consumer": "c0", "partition": P, "offset": 1, "value": "a1"},
        {"consumer": "c0", "partition": P, "offset": 2, "value": "b0"},
        {"consumer": "c1", "partition": P, "offset": 3, "value": "a2"},  # c1 started late: no skip
        {"consumer": "c1", "partition": P, "offset": 4, "value": "b1"},
    ]
    return {"sends": sends, "polls": polls, "final_reads": final}


def kinds(result):
    return sorted({a.kind for a in result.anomalies})


def test_clean_history_passes():
    r = checker.check(clean_history())
    assert r.ok, r.anomalies
    c = r.counts
    assert (c["sends_ok"], c["sends_failed"], c["sends_unknown"]) == (7, 1, 2)
    assert c["unknown_present"] == 1 and c["unknown_absent"] == 1
    assert c["ok_verified"] == 7 and c["ok_unverified"] == 0
    assert c["records_read"] == 8 and c["failed_absent"] == 1


def test_result_is_json_serialisable():
    h = clean_history()
    h["final_reads"][P]["records"].pop(0)
    d = checker.check(h).to_dict()
    assert json.loads(json.dumps(d))["anomalies"][0]["kind"] == "lost-write"


def test_lost_write_inside_the_read():
    h = clean_history()
    h["final_reads"][P]["records"] = [r for r in h["final_reads"][P]["records"] if r[1] != "a1"]
    r = checker.check(h)
    assert kinds(r) == ["lost-write"]
    (a,) = r.anomalies
    assert (a.partition, a.offsets, a.values) == (P, (1,), ("a1",))


def test_lost_write_truncated_log():
    """The log ends below an acknowledged offset after recovery: the tail was truncated."""
    h = clean_history()
    h["final_reads"][P] = {"records": h["final_reads"][P]["records"][:4], "end_offset": 4, "high_watermark": 4}
    r = checker.check(h)
    assert kinds(r) == ["lost-write"]
    # b3 was acknowledged; b1's send has no known outcome, but consumer c1 read it during the run
    assert sorted(a.values for a in r.anomalies) == [("b1",), ("b3",)]
    assert r.counts["unknown_absent"] == 1


def test_unknown_outcome_absent_is_fine():
    h = clean_history()
    h["final_reads"][P] = {"records": h["final_reads"][P]["records"][:4] + [[4, "b3"]],
                           "end_offset": 5, "high_watermark": 5}
    h["sends"][7]["offset"] = 4
    h["polls"] = h["polls"][:4]
    r = checker.check(h)
    assert r.ok, r.anomalies
    assert r.counts["unknown_absent"] == 2 and r.counts["unknown_present"] == 0


def test_incomplete_final_read_is_unverified_not_lost():
    h = clean_history()
    h["final_reads"][P] = {"records": h["final_reads"][P]["records"][:4], "end_offset": 4, "high_watermark": 6}
    h["polls"] = []
    r = checker.check(h)
    assert r.ok, r.anomalies
    assert r.counts["ok_unverified"] == 1 and r.counts["unknown_unverified"] == 2


def test_missing_final_read_is_unverified():
    h = clean_history()
    del h["final_reads"][Q]
    r = checker.check(h)
    assert r.ok and r.counts["ok_unverified"] == 2


def test_two_values_at_one_offset():
    h = clean_history()
    h["polls"][2] = {"consumer": "c0", "partition": P, "offset": 1, "value": "b0"}
    r = checker.check(h)
    assert "inconsistent-offset" in kinds(r)
    a = next(a for a in r.anomalies if a.kind == "inconsistent-offset")
    assert a.offsets == (1,) and set(a.values) == {"a1", "b0"}


def test_two_sends_acknowledged_at_one_offset():
    h = clean_history()
    h["sends"][2]["offset"] = 1  # b0 acknowledged at a1's offset
    r = checker.check(h)
    assert "inconsistent-offset" in kinds(r)


def test_value_read_at_other_offset_than_acknowledged():
    h = clean_history()
    h["sends"][3]["offset"] = 7  # a2 acknowledged at 7, read at 3
    r = checker.check(h)
    assert "offset-mismatch" in kinds(r)
    a = next(a for a in r.anomalies if a.kind == "offset-mismatch")
    assert a.offsets == (7, 3) and a.values == ("a2",)


def test_duplicate_value():
    h = clean_history()
    h["final_reads"][P]["records"].append([6, "a0"])
    h["final_reads"][P]["end_offset"] = h["final_reads"][P]["high_watermark"] = 7
    r = checker.check(h)
    assert "duplicate" in kinds(r)
    a = next(a for a in r.anomalies if a.kind == "duplicate")
    assert a.offsets == (0, 6) and a.values == ("a0",)


def test_unexpected_and_wrong_partition_values():
    h = clean_history()
    h["final_reads"][P]["records"].append([6, "zz"])
    h["final_reads"][P]["records"].append([7, "q1"])
    h["final_reads"][P]["end_offset"] = h["final_reads"][P]["high_watermark"] = 8
    r = checker.check(h)
    assert {"unexpected-value", "wrong-partition"} <= set(kinds(r))


def test_failed_write_visible():
    h = clean_history()
    h["final_reads"][P]["records"].append([6, "a3"])
    h["final_reads"][P]["end_offset"] = h["final_reads"][P]["high_watermark"] = 7
    r = checker.check(h)
    assert kinds(r) == ["failed-write-visible"]


def test_nonmonotonic_send_within_one_producer():
    h = clean_history()
    # p0's a2 was issued after a1 but acknowledged below it; keep reads consistent with the acks
    h["sends"][1]["offset"], h["sends"][3]["offset"] = 3, 1
    recs = h["final_reads"][P]["records"]
    recs[1], recs[3] = [1, "a2"], [3, "a1"]
    h["polls"] = []
    r = checker.check(h)
    assert "nonmonotonic-send" in kinds(r)
    a = next(a for a in r.anomalies if a.kind == "nonmonotonic-send")
    assert a.offsets == (3, 1) and a.values == ("a1", "a2")


def test_realtime_order_across_producers():
    h = clean_history()
    # b3 (p1, started at 3.1) acknowledged below a2 (p0, completed at 2.0); swap them in the log
    h["sends"][3]["offset"], h["sends"][7]["offset"] = 5, 3
    recs = h["final_reads"][P]["records"]
    recs[3], recs[5] = [3, "b3"], [5, "a2"]
    h["polls"] = h["polls"][:4]
    r = checker.check(h)
    assert kinds(r) == ["realtime-send-order"]
    (a,) = r.anomalies
    assert a.values == ("a2", "b3") and a.offsets == (5, 3)


def test_concurrent_sends_may_land_in_any_order():
    h = clean_history()
    # b0 (0.5..1.2) overlaps a1 (0.1..1.1): either order is fine; swap them
    h["sends"][1]["offset"], h["sends"][2]["offset"] = 2, 1
    recs = h["final_reads"][P]["records"]
    recs[1], recs[2] = [1, "b0"], [2, "a1"]
    h["polls"] = []
    assert checker.check(h).ok


def test_nonmonotonic_poll():
    h = clean_history()
    h["polls"].append({"consumer": "c0", "partition": P, "offset": 1, "value": "a1"})
    r = checker.check(h)
    assert kinds(r) == ["nonmonotonic-poll"]
    assert r.anomalies[0].offsets == (2, 1)


def test_skipped_poll():
    h = clean_history()
    h["polls"].append({"consumer": "c0", "partition": P, "offset": 5, "value": "b3"})
    r = checker.check(h)
    assert kinds(r) == ["skipped-poll"]
    assert r.anomalies[0].offsets == (2, 5)


def test_offset_gap_without_records_is_not_a_skip():
    """Offsets with no record anywhere (e.g. control batches) may be jumped over."""
    h = clean_history()
    h["final_reads"][Q] = {"records": [[0, "q0"], [3, "q1"]], "end_offset": 4, "high_watermark": 4}
    h["sends"][9]["offset"] = 3
    h["polls"] += [{"consumer": "c0", "partition": Q, "offset": 3, "value": "q1"}]
    assert checker.check(h).ok


def test_history_is_not_mutated():
    h = clean_history()
    before = copy.deepcopy(h)
    checker.check(h)
    assert h == before


def test_large_history_is_fast():
    """60,000 sends over 6 partitions and a poll per record: the checks are O(n log n)."""
    import time
    sends, finals, polls = [], {}, []
    for p in range(6):
        part = f"t/{p}"
        recs = []
        for i in range(10_000):
            v = f"v{p}-{i}"
            sends.append(send(f"p{i % 3}", v, i * 0.001, i * 0.001 + 0.0005, offset=i, partition=part))
            recs.append([i, v])
            polls.append({"consumer": "c0", "partition": part, "offset": i, "value": v})
        finals[part] = {"records": recs, "end_offset": 10_000, "high_watermark": 10_000}
    t0 = time.monotonic()
    r = checker.check({"sends": sends, "polls": polls, "final_reads": finals})
    assert r.ok
    assert time.monotonic() - t0 < 3.0
