package conformance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Sink is the suite for a sink connector. Plugin, Config and Read are
// required.
type Sink struct {
	Plugin sdk.Plugin
	// Config returns a valid connector config writing to a fresh, empty
	// destination; the suite calls it once per subtest.
	Config func(t *testing.T) map[string]string
	// Read returns the ids of the records the destination holds, in the
	// order it stored them. A record's id is ID(topic, partition, offset);
	// Record puts it in the record.
	Read func(t *testing.T, cfg map[string]string) []string
	// Record makes the record the suite puts at a position. The default has
	// the id as its string key and value, which suits sinks that write
	// values (a file, a document per record).
	Record func(id string, tp sdk.TopicPartition, offset int64) sdk.Record
	// BadRecord, when set, makes a record the sink must reject on its own
	// with a record-class error in a *sdk.BatchError, while it writes the
	// others of the batch.
	BadRecord func(tp sdk.TopicPartition, offset int64) sdk.Record
	// Invalid lists configs validation must reject, besides those missing
	// a required key, which the suite makes itself.
	Invalid []Invalid
	// ExactlyOnce claims that the sink stores offsets atomically with its
	// data and returns them from Open: after a restart nothing is written
	// twice.
	ExactlyOnce bool
}

// ID is the id of the record at topic, partition and offset:
// "topic/partition/offset".
func ID(topic string, partition int32, offset int64) string {
	return fmt.Sprintf("%s/%d/%d", topic, partition, offset)
}

func parseID(id string) (sdk.TopicPartition, int64, bool) {
	i := strings.LastIndexByte(id, '/')
	j := strings.LastIndexByte(id[:max(i, 0)], '/')
	if i < 0 || j < 0 {
		return sdk.TopicPartition{}, 0, false
	}
	p, err1 := strconv.ParseInt(id[j+1:i], 10, 32)
	o, err2 := strconv.ParseInt(id[i+1:], 10, 64)
	if err1 != nil || err2 != nil {
		return sdk.TopicPartition{}, 0, false
	}
	return sdk.TopicPartition{Topic: id[:j], Partition: int32(p)}, o, true
}

const sinkTopic = "conformance"

var sinkPartitions = []sdk.TopicPartition{{Topic: sinkTopic, Partition: 0}, {Topic: sinkTopic, Partition: 1}, {Topic: sinkTopic, Partition: 2}}

// Run runs the suite.
func (s Sink) Run(t *testing.T) {
	if s.Config == nil || s.Read == nil {
		t.Fatal("conformance.Sink needs Config and Read")
	}
	if s.Record == nil {
		s.Record = func(id string, tp sdk.TopicPartition, _ int64) sdk.Record {
			return sdk.Record{Key: id, Value: id}
		}
	}
	t.Run("description", func(t *testing.T) { checkDescription(t, s.Plugin, sdk.KindSink) })
	t.Run("validation", func(t *testing.T) { checkValidation(t, s.Plugin, s.Config, s.Invalid) })
	t.Run("lifecycle", s.lifecycle)
	t.Run("order", s.order)
	if s.BadRecord != nil {
		t.Run("record_errors", s.recordErrors)
	}
	t.Run("restart", s.restart)
}

// task is one sink task as the worker drives it.
type task struct {
	t     *testing.T
	s     *Sink
	task  sdk.SinkTask
	ctx   context.Context
	next  sdk.Offsets // next offset to put, per partition
	put   sdk.Offsets // offsets put, for Flush
	after map[sdk.TopicPartition]bool
}

func (s *Sink) start(t *testing.T, cfg map[string]string) *task {
	ctx := ctxT(t)
	taskCfg := startConnector(t, s.Plugin, cfg)
	conn, ok := s.Plugin.New().(sdk.SinkConnector)
	if !ok {
		t.Fatalf("New returned %T, not an sdk.SinkConnector", s.Plugin.New())
	}
	st := conn.NewSinkTask()
	if err := st.Start(ctx, taskCfg); err != nil {
		t.Fatalf("task Start: %v", err)
	}
	return &task{t: t, s: s, task: st, ctx: ctx, next: sdk.Offsets{}, put: sdk.Offsets{}}
}

// open opens the partitions and returns the offsets the sink stored.
func (k *task) open() sdk.Offsets {
	stored, err := k.task.Open(k.ctx, sinkPartitions)
	if err != nil {
		k.t.Fatalf("Open: %v", err)
	}
	for tp, off := range stored {
		if !containsTP(sinkPartitions, tp) {
			k.t.Errorf("Open returned an offset for %s, which it was not given", tp)
		}
		if off < 0 {
			k.t.Errorf("Open returned offset %d for %s", off, tp)
		}
	}
	return stored
}

func containsTP(tps []sdk.TopicPartition, tp sdk.TopicPartition) bool {
	for _, x := range tps {
		if x == tp {
			return true
		}
	}
	return false
}

// batch makes n records per partition, interleaving partitions as a fetch
// does while keeping each partition in offset order.
func (k *task) batch(n int) []sdk.Record {
	var out []sdk.Record
	for i := 0; i < n; i++ {
		for _, tp := range sinkPartitions {
			off := k.next[tp]
			r := k.s.Record(ID(tp.Topic, tp.Partition, off), tp, off)
			r.Topic, r.Partition, r.Offset = tp.Topic, tp.Partition, off
			out = append(out, r)
			k.next[tp] = off + 1
		}
	}
	return out
}

func (k *task) putAll(recs []sdk.Record) {
	if err := k.task.Put(k.ctx, recs); err != nil {
		k.t.Fatalf("Put of %d records: %v (%s)", len(recs), err, classOf(err))
	}
	for _, r := range recs {
		k.put[r.TopicPartition()] = r.Offset + 1
	}
}

// flush flushes and returns the offsets that are durable.
func (k *task) flush() sdk.Offsets {
	req := maps.Clone(k.put)
	durable, err := k.task.Flush(k.ctx, req)
	if err != nil {
		k.t.Fatalf("Flush: %v (%s)", err, classOf(err))
	}
	if durable == nil {
		return req
	}
	for tp, off := range durable {
		if want, ok := req[tp]; !ok || off > want {
			k.t.Errorf("Flush returned offset %d for %s, past what was put (%v)", off, tp, req)
		}
	}
	return durable
}

func (k *task) stop() {
	if err := k.task.Close(k.ctx, sinkPartitions); err != nil {
		k.t.Errorf("Close: %v", err)
	}
	if err := k.task.Stop(k.ctx); err != nil {
		k.t.Errorf("Stop: %v", err)
	}
}

func (s *Sink) lifecycle(t *testing.T) {
	cfg := s.Config(t)
	k := s.start(t, cfg)
	k.open()
	if err := k.task.Put(k.ctx, nil); err != nil {
		t.Errorf("Put of an empty batch: %v", err)
	}
	k.putAll(k.batch(5))
	k.flush()
	k.stop()

	// A task stopped before any partition was opened.
	k = s.start(t, cfg)
	if err := k.task.Stop(k.ctx); err != nil {
		t.Errorf("Stop before Open: %v", err)
	}
}

// order puts batches and checks that every record arrives, each partition
// in offset order.
func (s *Sink) order(t *testing.T) {
	cfg := s.Config(t)
	k := s.start(t, cfg)
	k.open()
	for i := 0; i < 8; i++ {
		k.putAll(k.batch(25))
		if i%3 == 2 {
			k.flush()
		}
	}
	k.flush()
	k.stop()
	got := s.Read(t, cfg)
	checkDelivered(t, got, k.next, false)
}

// checkDelivered checks that the destination holds every record below upTo,
// each partition in order (a rewind to an earlier offset is allowed unless
// exactlyOnce, a gap or a jump ahead never).
func checkDelivered(t *testing.T, ids []string, upTo sdk.Offsets, exactlyOnce bool) {
	t.Helper()
	seen := map[sdk.TopicPartition]map[int64]int{}
	high := map[sdk.TopicPartition]int64{} // next offset after the highest seen
	for _, id := range ids {
		tp, off, ok := parseID(id)
		if !ok {
			t.Errorf("the destination holds %q, which is not an id the suite wrote", id)
			continue
		}
		if seen[tp] == nil {
			seen[tp] = map[int64]int{}
		}
		seen[tp][off]++
		if off > high[tp] {
			t.Errorf("%s: offset %d arrived before offset %d", tp, off, high[tp])
		}
		high[tp] = max(high[tp], off+1)
		if exactlyOnce && seen[tp][off] > 1 {
			t.Errorf("%s: offset %d was written %d times, but the sink claims exactly once", tp, off, seen[tp][off])
		}
	}
	for tp, n := range upTo {
		for off := int64(0); off < n; off++ {
			if seen[tp][off] == 0 {
				t.Errorf("%s: offset %d is missing", tp, off)
			}
		}
	}
}

func (s *Sink) recordErrors(t *testing.T) {
	cfg := s.Config(t)
	k := s.start(t, cfg)
	k.open()
	recs := k.batch(3)
	bad := len(recs) / 2
	tp := recs[bad].TopicPartition()
	r := s.BadRecord(tp, recs[bad].Offset)
	r.Topic, r.Partition, r.Offset = tp.Topic, tp.Partition, recs[bad].Offset
	recs[bad] = r
	err := k.task.Put(k.ctx, recs)
	var berr *sdk.BatchError
	if !errors.As(err, &berr) {
		t.Fatalf("Put with a bad record returned %v, want a *sdk.BatchError", err)
	}
	for i, rerr := range berr.Failed {
		if i != bad {
			t.Errorf("record %d failed (%v), but only record %d was bad", i, rerr, bad)
			continue
		}
		if c, _ := sdk.ClassOf(rerr); c != sdk.ClassRecord {
			t.Errorf("the bad record failed with a %s error, want record: %v", classOf(rerr), rerr)
		}
	}
	if _, ok := berr.Failed[bad]; !ok {
		t.Errorf("the bad record did not fail: %v", berr)
	}
	for _, r := range recs {
		k.put[r.TopicPartition()] = r.Offset + 1
	}
	k.flush()
	k.stop()
	got := s.Read(t, cfg)
	written := map[string]bool{}
	for _, id := range got {
		written[id] = true
	}
	for i, r := range recs {
		id := ID(r.Topic, r.Partition, r.Offset)
		if i != bad && !written[id] {
			t.Errorf("record %s of the batch with a bad record was not written", id)
		}
	}
}

// restart puts records, flushes, puts more, stops without flushing (as a
// worker that dies would), and restarts from the committed offsets (or
// those the sink stored): every record must arrive, and only once if the
// sink claims exactly once.
func (s *Sink) restart(t *testing.T) {
	cfg := s.Config(t)
	k := s.start(t, cfg)
	k.open()
	k.putAll(k.batch(40))
	committed := k.flush()
	k.putAll(k.batch(20))
	if err := k.task.Stop(k.ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}

	k2 := s.start(t, cfg)
	stored := k2.open()
	for _, tp := range sinkPartitions {
		off, ok := stored[tp]
		if !ok {
			if s.ExactlyOnce {
				t.Errorf("Open returned no stored offset for %s, but the sink claims exactly once", tp)
			}
			off = committed[tp]
		}
		if off > k.next[tp] {
			t.Errorf("%s: Open says resume at %d, past the last record put (%d)", tp, off, k.next[tp]-1)
			off = k.next[tp]
		}
		k2.next[tp] = off
	}
	k2.putAll(k2.batch(30))
	k2.flush()
	k2.stop()
	got := s.Read(t, cfg)
	checkDelivered(t, got, k2.next, s.ExactlyOnce)
}
