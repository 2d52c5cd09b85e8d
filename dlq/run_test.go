package dlq

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func newTestDrainer(t *testing.T, n int) (*Drainer, context.Context) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "q"), kfake.SeedTopics(3, "src"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	d, err := New([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, WithBatch(4, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	var recs []*kgo.Record
	for i := range n {
		orig := &kgo.Record{Topic: "src", Partition: int32(i % 3), Offset: int64(i), Key: []byte("k" + strconv.Itoa(i)), Value: []byte(strconv.Itoa(i))}
		recs = append(recs, NewRecord("q", orig, Failure{Connector: "c", Stage: "TASK_PUT", Err: errors.New("boom")}))
	}
	if err := d.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return d, ctx
}

// replayedOffsets counts, per dead-letter offset, the records in src that
// carry it.
func replayedOffsets(t *testing.T, d *Drainer, ctx context.Context) map[int64]int {
	t.Helper()
	out := map[int64]int{}
	ends, err := d.adm.ListEndOffsets(ctx, "src")
	if err != nil {
		t.Fatal(err)
	}
	bounds := map[int32]Span{}
	for _, p := range []int32{0, 1, 2} {
		e, _ := ends.Lookup("src", p)
		bounds[p] = Span{0, e.Offset}
	}
	err = d.scan(ctx, "src", bounds, scanOpts{}, func(r *kgo.Record) error {
		m := indexHeaders(r.Headers)
		_ = m
		for _, h := range r.Headers {
			if h.Key == HeaderReplayDLQOffset {
				o, _ := strconv.ParseInt(string(h.Value), 10, 64)
				out[o]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKilledRunIsReconciled simulates a replay killed after producing
// records it had not journaled yet: the next replay finds them in the
// source topic and delivers only the rest, so each dead letter arrives
// exactly once.
func TestKilledRunIsReconciled(t *testing.T) {
	d, ctx := newTestDrainer(t, 20)
	q := Queue{Topic: "q"}
	r, err := d.newRun(ctx, q, entry{Op: opReplay, To: string(ToSource)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.fence(ctx); err != nil {
		t.Fatal(err)
	}
	dest, err := d.newSourceDest(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Produce dead letters 0..3 and journal them, as a flush does; then
	// produce 4..11 and "die" before journaling them.
	send := func(from, to int64) {
		t.Helper()
		bounds := map[int32]Span{0: {from, to}}
		err := d.scan(ctx, "q", bounds, scanOpts{}, func(rec *kgo.Record) error {
			m := indexHeaders(rec.Headers)
			return dest.send(ctx, r.item(rec, &m, ""))
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := dest.cl.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	send(0, 4)
	es := r.entries(entryProgress, r.id, map[int32]spans{0: {{0, 4}}}, entry{Targets: dest.targets(), Count: 4})
	if err := r.write(ctx, es...); err != nil {
		t.Fatal(err)
	}
	send(4, 12)
	dest.close()
	r.close() // killed: no end entry, cursor not committed

	res, err := d.Replay(ctx, "q", ReplayOptions{To: ToSource})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recovered != 8 || res.Replayed != 8 {
		t.Errorf("resumed replay = %+v, want 8 recovered (4..11) and 8 replayed (12..19)", res)
	}
	got := replayedOffsets(t, d, ctx)
	for o := int64(0); o < 20; o++ {
		if got[o] != 1 {
			t.Errorf("dead letter %d arrived %d times, want once", o, got[o])
		}
	}
	st, err := d.load(ctx, "q")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.open) != 0 || st.lowWater(0) != 20 {
		t.Errorf("after reconcile: open runs %v, low water %d; want none, 20", st.open, st.lowWater(0))
	}
	again, err := d.Replay(ctx, "q", ReplayOptions{To: ToSource})
	if err != nil || again.Replayed != 0 || again.Recovered != 0 {
		t.Errorf("third replay = %+v, %v; want nothing", again, err)
	}
}

// TestConcurrentRunsFence: a second run on the same queue fences the
// first, whose next journal write fails with ErrFenced.
func TestConcurrentRunsFence(t *testing.T) {
	d, ctx := newTestDrainer(t, 4)
	q := Queue{Topic: "q"}
	a, err := d.newRun(ctx, q, entry{Op: opSkip})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if err := a.fence(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := d.newRun(ctx, q, entry{Op: opSkip})
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if err := b.fence(ctx); err != nil {
		t.Fatal(err)
	}
	err = a.write(ctx, a.entries(entryProgress, a.id, map[int32]spans{0: {{0, 2}}}, entry{})...)
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("write of the fenced run: err = %v, want ErrFenced", err)
	}
	// b closed a's run as interrupted when it fenced it.
	if err := b.finish(ctx, entry{Status: "done"}); err != nil {
		t.Fatal(err)
	}
	st, err := d.load(ctx, "q")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.open) != 0 || st.lowWater(0) != 0 {
		t.Errorf("open runs %v, low water %d; want none and 0 (the fenced write did not land)", st.open, st.lowWater(0))
	}
}
