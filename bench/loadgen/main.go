// loadgen: the franz-go load generator of bench/run.sh. The same binary and settings run against every
// broker; each subcommand prints one JSON object on stdout (progress and errors go to stderr).
//
//	loadgen create        -brokers B -topic T -partitions P   create T and wait until every partition has a leader
//	loadgen delete        -brokers B -topic T
//	loadgen apis          -brokers B                          the API keys the broker advertises
//	loadgen first-produce -brokers B -topic T -timeout 120s  retry "create topic + one acks=all produce" until it
//	                                                          succeeds; prints the wall-clock time of the success
//	loadgen produce       -brokers B -topic T -size N -acks all|1 -compression none|lz4|zstd -records N -duration D
//	                                                          closed-loop throughput (the client's buffer is the limit)
//	loadgen consume       -brokers B -topic T -timeout D     read every partition from the start to its end
//	                                                          offset (taken when the run starts); no group
//	loadgen e2e           -brokers B -topic T -size N -acks ... -rate R -duration D -warmup W [-linger L]
//	                                                          open-loop end-to-end latency, see runE2E
//
// Payloads are random upper-case letters (as Kafka's ProducerPerformance makes them), cut at random
// offsets from a 4 MiB pool, so compression sees the same entropy with both generators.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const mib = 1 << 20

type options struct {
	brokers     string
	topic       string
	partitions  int
	size        int
	acks        string
	compression string
	records     int64
	duration    time.Duration
	warmup      time.Duration
	timeout     time.Duration
	rate        float64
	linger      time.Duration
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen create|delete|first-produce|produce|consume|e2e [flags]")
		os.Exit(64)
	}
	cmd := os.Args[1]
	var o options
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	fs.StringVar(&o.brokers, "brokers", "127.0.0.1:9092", "bootstrap address")
	fs.StringVar(&o.topic, "topic", "bench", "topic")
	fs.IntVar(&o.partitions, "partitions", 1, "partitions (create)")
	fs.IntVar(&o.size, "size", 1024, "record value size in bytes")
	fs.StringVar(&o.acks, "acks", "all", "all or 1")
	fs.StringVar(&o.compression, "compression", "none", "none, lz4 or zstd")
	fs.Int64Var(&o.records, "records", 0, "records to produce (0: until -duration)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "produce / e2e duration")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "e2e: samples scheduled before this are not counted")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "overall deadline")
	fs.Float64Var(&o.rate, "rate", 1000, "e2e: records per second, on a fixed schedule")
	// franz-go's own default is 10 ms; at a fixed rate below saturation that wait is most of the latency,
	// the same for every broker, so the latency run sets 0.
	fs.DurationVar(&o.linger, "linger", 10*time.Millisecond, "produce / e2e: how long a partition's batch waits for more records")
	_ = fs.Parse(os.Args[2:])

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout+o.duration+30*time.Second)
	defer cancel()
	var out any
	var err error
	switch cmd {
	case "create":
		out, err = runCreate(ctx, o)
	case "delete":
		out, err = runDelete(ctx, o)
	case "apis":
		out, err = runAPIs(ctx, o)
	case "first-produce":
		out, err = runFirstProduce(o)
	case "produce":
		out, err = runProduce(ctx, o)
	case "consume":
		out, err = runConsume(ctx, o)
	case "e2e":
		out, err = runE2E(ctx, o)
	default:
		err = fmt.Errorf("unknown subcommand %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	_ = enc.Encode(out)
}

// ---- clients and payloads

func producerOpts(o options) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(o.brokers),
		kgo.MaxBufferedBytes(32 * mib), // the Java producer's buffer.memory
		kgo.ProduceRequestTimeout(30 * time.Second),
		kgo.ProducerLinger(o.linger),
	}
	switch o.acks {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	default:
		return nil, fmt.Errorf("acks must be all or 1, not %q", o.acks)
	}
	switch o.compression {
	case "none":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	case "lz4":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case "zstd":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	default:
		return nil, fmt.Errorf("compression must be none, lz4 or zstd, not %q", o.compression)
	}
	return opts, nil
}

var letters = func() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 4*mib)
	for i := range b {
		b[i] = byte('A' + r.IntN(26))
	}
	return b
}()

// payload returns a read-only slice of n random letters (shared: never written after creation).
func payload(r *rand.Rand, n int) []byte {
	if n >= len(letters) {
		n = len(letters)
	}
	at := r.IntN(len(letters) - n + 1)
	return letters[at : at+n]
}

func metadata(ctx context.Context, cl *kgo.Client, topic string) (*kmsg.MetadataResponse, error) {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	return req.RequestWith(ctx, cl)
}

// partitionsOf waits until every partition of topic has a leader and returns their ids.
func partitionsOf(ctx context.Context, cl *kgo.Client, topic string, want int) ([]int32, error) {
	for {
		resp, err := metadata(ctx, cl, topic)
		if err == nil && len(resp.Topics) == 1 && resp.Topics[0].ErrorCode == 0 {
			var ids []int32
			for _, p := range resp.Topics[0].Partitions {
				if p.ErrorCode == 0 && p.Leader >= 0 {
					ids = append(ids, p.Partition)
				}
			}
			if len(ids) > 0 && (want <= 0 || len(ids) == want) {
				sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
				return ids, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("partitions of %s not ready: %w (last error %v)", topic, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ---- create / delete

func createTopic(ctx context.Context, cl *kgo.Client, topic string, partitions int) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = topic
	t.NumPartitions = int32(partitions)
	t.ReplicationFactor = 1
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = 30000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if len(resp.Topics) != 1 {
		return fmt.Errorf("CreateTopics: %d topics in response", len(resp.Topics))
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("CreateTopics %s: %w", topic, err)
	}
	return nil
}

func runCreate(ctx context.Context, o options) (any, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.brokers))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	start := time.Now()
	if err := createTopic(ctx, cl, o.topic, o.partitions); err != nil {
		return nil, err
	}
	ids, err := partitionsOf(ctx, cl, o.topic, o.partitions)
	if err != nil {
		return nil, err
	}
	return map[string]any{"topic": o.topic, "partitions": len(ids), "seconds": time.Since(start).Seconds()}, nil
}

func runDelete(ctx context.Context, o options) (any, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.brokers))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TopicNames = []string{o.topic}
	t := kmsg.NewDeleteTopicsRequestTopic()
	t.Topic = kmsg.StringPtr(o.topic)
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = 30000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
			return nil, fmt.Errorf("DeleteTopics: %w", err)
		}
	}
	return map[string]any{"topic": o.topic, "deleted": true}, nil
}

func runAPIs(ctx context.Context, o options) (any, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.brokers))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	keys := []int16{}
	for _, k := range resp.ApiKeys {
		keys = append(keys, k.ApiKey)
	}
	return map[string]any{"api_keys": keys}, nil
}

// ---- first produce

// runFirstProduce measures how soon a just-started broker takes a durable write: each attempt is a fresh
// client that creates the topic (1 partition; "already exists" is fine) and produces one record with
// acks=all, each step bounded by one second. Attempts repeat every 10 ms until one succeeds.
func runFirstProduce(o options) (any, error) {
	deadline := time.Now().Add(o.timeout)
	attempts := 0
	var last error
	for time.Now().Before(deadline) {
		attempts++
		last = firstProduceAttempt(o)
		if last == nil {
			now := time.Now()
			return map[string]any{"ok_unix_ns": now.UnixNano(), "attempts": attempts}, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, fmt.Errorf("no successful produce within %v after %d attempts: %v", o.timeout, attempts, last)
}

func firstProduceAttempt(o options) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.brokers), kgo.DialTimeout(500*time.Millisecond),
		kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }),
		kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := createTopic(ctx, cl, o.topic, 1); err != nil {
		return err
	}
	return cl.ProduceSync(ctx, &kgo.Record{Topic: o.topic, Value: []byte("first")}).FirstErr()
}

// ---- throughput

func runProduce(ctx context.Context, o options) (any, error) {
	opts, err := producerOpts(o)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	// Learn the metadata before the clock starts.
	if _, err := partitionsOf(ctx, cl, o.topic, 0); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	var acked, failed atomic.Int64
	var firstErr atomic.Value
	done := func(_ *kgo.Record, err error) {
		if err != nil {
			if failed.Add(1) == 1 {
				firstErr.Store(err.Error())
			}
			return
		}
		acked.Add(1)
	}
	start := time.Now()
	end := start.Add(o.duration)
	var sent int64
	for o.records == 0 || sent < o.records {
		if sent%256 == 0 && time.Now().After(end) {
			break
		}
		cl.Produce(ctx, &kgo.Record{Topic: o.topic, Value: payload(r, o.size)}, done)
		sent++
	}
	if err := cl.Flush(ctx); err != nil {
		return nil, err
	}
	secs := time.Since(start).Seconds()
	n := acked.Load()
	res := map[string]any{
		"records": n, "failed": failed.Load(), "bytes": n * int64(o.size), "seconds": secs,
		"records_per_s": float64(n) / secs, "mib_per_s": float64(n*int64(o.size)) / secs / mib,
	}
	if e := firstErr.Load(); e != nil {
		res["first_error"] = e
	}
	return res, nil
}

func endOffsets(ctx context.Context, cl *kgo.Client, topic string, ids []int32) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topic
	for _, id := range ids {
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Partition = id
		p.Timestamp = -1
		t.Partitions = append(t.Partitions, p)
	}
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	ends := map[int32]int64{}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("ListOffsets %s-%d: %w", topic, p.Partition, err)
			}
			ends[p.Partition] = p.Offset
		}
	}
	return ends, nil
}

func runConsume(ctx context.Context, o options) (any, error) {
	admin, err := kgo.NewClient(kgo.SeedBrokers(o.brokers))
	if err != nil {
		return nil, err
	}
	ids, err := partitionsOf(ctx, admin, o.topic, 0)
	if err != nil {
		admin.Close()
		return nil, err
	}
	ends, err := endOffsets(ctx, admin, o.topic, ids)
	admin.Close()
	if err != nil {
		return nil, err
	}
	var want int64
	assign := map[int32]kgo.Offset{}
	for _, id := range ids {
		want += ends[id]
		assign[id] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.brokers),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.topic: assign}))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	cctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	start := time.Now()
	var n, bytes int64
	for n < want {
		fetches := cl.PollFetches(cctx)
		if cctx.Err() != nil {
			break
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("%s-%d: %w", t, p, err) })
		if ferr != nil {
			return nil, ferr
		}
		fetches.EachRecord(func(r *kgo.Record) {
			n++
			bytes += int64(len(r.Value) + len(r.Key))
		})
	}
	secs := time.Since(start).Seconds()
	res := map[string]any{
		"records": n, "expected": want, "bytes": bytes, "seconds": secs,
		"records_per_s": float64(n) / secs, "mib_per_s": float64(bytes) / secs / mib,
	}
	if n < want {
		return nil, fmt.Errorf("consumed %d of %d records before the deadline", n, want)
	}
	return res, nil
}

// ---- open-loop end-to-end latency

// runE2E sends record i at start + i/rate whatever happened to earlier sends (open loop: a slow broker
// cannot slow the generator down and hide its own latency), and a consumer in the same process, reading
// every partition from the start of the fresh topic, measures for each record the time from its
// scheduled send to its arrival. The value carries the record's sequence number and scheduled time.
// Percentiles are exact (every sample is kept and sorted). A record not consumed by the deadline counts
// as missing. The produce acknowledgement latency (scheduled send to ack) is reported beside it.
func runE2E(ctx context.Context, o options) (any, error) {
	if o.size < 16 {
		return nil, fmt.Errorf("e2e needs records of at least 16 bytes")
	}
	popts, err := producerOpts(o)
	if err != nil {
		return nil, err
	}
	prod, err := kgo.NewClient(popts...)
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	ids, err := partitionsOf(ctx, prod, o.topic, 0)
	if err != nil {
		return nil, err
	}
	assign := map[int32]kgo.Offset{}
	for _, id := range ids {
		assign[id] = kgo.NewOffset().AtStart()
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(o.brokers),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.topic: assign}))
	if err != nil {
		return nil, err
	}
	defer cons.Close()

	total := int64(o.rate * o.duration.Seconds())
	interval := time.Duration(float64(time.Second) / o.rate)
	e2e := make([]int64, total) // ns; -1: not (yet) received
	ack := make([]int64, total)
	for i := range e2e {
		e2e[i], ack[i] = -1, -1
	}
	var received atomic.Int64
	var start time.Time
	startSet := make(chan struct{})

	consCtx, stopCons := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-startSet
		for consCtx.Err() == nil {
			fetches := cons.PollFetches(consCtx)
			now := time.Since(start).Nanoseconds()
			fetches.EachRecord(func(r *kgo.Record) {
				if len(r.Value) < 16 {
					return
				}
				seq := int64(binary.BigEndian.Uint64(r.Value[0:8]))
				sched := int64(binary.BigEndian.Uint64(r.Value[8:16]))
				if seq >= 0 && seq < total && e2e[seq] < 0 {
					e2e[seq] = now - sched
					if received.Add(1) == total {
						stopCons()
					}
				}
			})
		}
	}()

	// Let the consumer reach the broker before the schedule starts (the warmup window covers the rest).
	time.Sleep(500 * time.Millisecond)
	r := rand.New(rand.NewPCG(11, uint64(time.Now().UnixNano())))
	var ackMu sync.Mutex
	var failed atomic.Int64
	start = time.Now()
	close(startSet)
	lateSends := 0
	for i := int64(0); i < total; i++ {
		sched := time.Duration(float64(i) * float64(interval))
		if wait := sched - time.Since(start); wait > 0 {
			time.Sleep(wait)
		} else if wait < -time.Millisecond {
			lateSends++
		}
		v := make([]byte, o.size)
		binary.BigEndian.PutUint64(v[0:8], uint64(i))
		binary.BigEndian.PutUint64(v[8:16], uint64(sched.Nanoseconds()))
		copy(v[16:], payload(r, o.size-16))
		seq := i
		prod.Produce(ctx, &kgo.Record{Topic: o.topic, Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
				return
			}
			d := time.Since(start).Nanoseconds() - sched.Nanoseconds()
			ackMu.Lock()
			ack[seq] = d
			ackMu.Unlock()
		})
	}
	_ = prod.Flush(ctx)
	sendSecs := time.Since(start).Seconds()
	// Wait for the stragglers, then stop.
	select {
	case <-consCtx.Done():
	case <-time.After(15 * time.Second):
		stopCons()
	}
	wg.Wait()

	skip := int64(o.warmup.Seconds() * o.rate)
	if skip >= total {
		skip = 0
	}
	var lat, acks []int64
	missing := 0
	ackMu.Lock()
	for i := skip; i < total; i++ {
		if e2e[i] < 0 {
			missing++
		} else {
			lat = append(lat, e2e[i])
		}
		if ack[i] >= 0 {
			acks = append(acks, ack[i])
		}
	}
	ackMu.Unlock()
	res := map[string]any{
		"rate": o.rate, "scheduled": total, "measured": len(lat), "missing": missing,
		"failed": failed.Load(), "warmup_records": skip, "send_seconds": sendSecs,
		"late_sends": lateSends,
		"e2e_ms": summary(lat), "ack_ms": summary(acks), "e2e_cdf_ms": cdf(lat),
	}
	return res, nil
}

func summary(ns []int64) map[string]float64 {
	if len(ns) == 0 {
		return map[string]float64{}
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	var sum float64
	for _, v := range ns {
		sum += float64(v)
	}
	ms := func(v int64) float64 { return float64(v) / 1e6 }
	return map[string]float64{
		"min": ms(ns[0]), "p50": ms(quantile(ns, 0.5)), "p90": ms(quantile(ns, 0.9)),
		"p99": ms(quantile(ns, 0.99)), "p99.9": ms(quantile(ns, 0.999)), "max": ms(ns[len(ns)-1]),
		"mean": sum / float64(len(ns)) / 1e6,
	}
}

// quantile of sorted samples: the smallest sample at or above a fraction q of them (nearest rank).
func quantile(sorted []int64, q float64) int64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

// cdf: [fraction, ms] points of sorted samples, dense in the tail, for plotting.
func cdf(sorted []int64) [][2]float64 {
	if len(sorted) == 0 {
		return nil
	}
	var qs []float64
	for q := 0.0; q < 0.9; q += 0.01 {
		qs = append(qs, q)
	}
	for q := 0.9; q < 0.99; q += 0.001 {
		qs = append(qs, q)
	}
	for q := 0.99; q < 0.9999; q += 0.0001 {
		qs = append(qs, q)
	}
	qs = append(qs, 0.9999, 1)
	out := make([][2]float64, 0, len(qs))
	for _, q := range qs {
		out = append(out, [2]float64{q, float64(quantile(sorted, q)) / 1e6})
	}
	return out
}
