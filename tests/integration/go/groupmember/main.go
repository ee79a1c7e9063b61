// A consumer-group member for test_consumer_groups.py (franz-go's group consumer, classic protocol,
// cooperative-sticky by default), run as its own process so a test can kill -9 it.
//
//	go run ./groupmember BOOTSTRAP GROUP TOPIC OUT
//
// Writes JSON lines to OUT: {"e":"assigned"|"revoked","p":[...]} from the rebalance callbacks and
// {"e":"rec","p":partition,"o":offset} for every record, written before the records' offsets are
// committed synchronously (at least once; nothing committed is skipped).
package main

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	mu  sync.Mutex
	out *os.File
)

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	mu.Lock()
	defer mu.Unlock()
	out.Write(append(b, '\n'))
}

func parts(m map[string][]int32) []int32 {
	var ps []int32
	for _, p := range m {
		ps = append(ps, p...)
	}
	if ps == nil {
		ps = []int32{}
	}
	return ps
}

func main() {
	bootstrap, group, topic := os.Args[1], os.Args[2], os.Args[3]
	var err error
	out, err = os.OpenFile(os.Args[4], os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(bootstrap),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(6*time.Second),
		kgo.HeartbeatInterval(500*time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			emit(map[string]any{"e": "assigned", "p": parts(m)})
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			emit(map[string]any{"e": "revoked", "p": parts(m)})
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			emit(map[string]any{"e": "revoked", "p": parts(m)})
		}),
		kgo.BlockRebalanceOnPoll(),
	)
	if err != nil {
		panic(err)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	emit(map[string]any{"e": "started"})
	for ctx.Err() == nil {
		fetches := cl.PollRecords(ctx, 500)
		fetches.EachRecord(func(r *kgo.Record) {
			emit(map[string]any{"e": "rec", "p": r.Partition, "o": r.Offset})
		})
		if err := cl.CommitUncommittedOffsets(ctx); err != nil && ctx.Err() == nil {
			emit(map[string]any{"e": "commit-failed", "why": err.Error()})
		}
		cl.AllowRebalance()
	}
	cl.Close()
	emit(map[string]any{"e": "closed"})
}
