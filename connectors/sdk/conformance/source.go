package conformance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Source is the suite for a source connector. Plugin and Config are
// required.
type Source struct {
	Plugin sdk.Plugin
	// Config returns a valid connector config reading from a fresh source;
	// the suite calls it once per subtest.
	Config func(t *testing.T) map[string]string
	// Append makes the source hold n more records (a file source appends
	// lines). Sources that make records up (a generator) leave it nil.
	Append func(t *testing.T, cfg map[string]string, n int)
	// Invalid lists configs validation must reject, besides those missing
	// a required key, which the suite makes itself.
	Invalid []Invalid
	// ExactlyOnce claims that a task started from committed positions never
	// polls a record at or before them again.
	ExactlyOnce bool
	// PollTimeout bounds how long the suite polls for records it expects;
	// default 10 s.
	PollTimeout time.Duration
}

// Run runs the suite.
func (s Source) Run(t *testing.T) {
	if s.Config == nil {
		t.Fatal("conformance.Source needs Config")
	}
	if s.Append == nil {
		s.Append = func(*testing.T, map[string]string, int) {}
	}
	if s.PollTimeout <= 0 {
		s.PollTimeout = 10 * time.Second
	}
	t.Run("description", func(t *testing.T) { checkDescription(t, s.Plugin, sdk.KindSource) })
	t.Run("validation", func(t *testing.T) { checkValidation(t, s.Plugin, s.Config, s.Invalid) })
	t.Run("lifecycle_and_order", s.lifecycle)
	t.Run("restart", s.restart)
}

// positions is an OffsetReader over positions held in memory.
type positions map[string]map[string]any

func key(partition map[string]any) string { return fmt.Sprint(partition) }

func (p positions) Offset(_ context.Context, partition map[string]any) (map[string]any, error) {
	return p[key(partition)], nil
}

// recordID identifies a source record by its position.
func recordID(r sdk.Record) string { return fmt.Sprint(r.SourcePartition, "@", r.SourceOffset) }

func (s *Source) start(t *testing.T, cfg map[string]string, offsets sdk.OffsetReader) sdk.SourceTask {
	taskCfg := startConnector(t, s.Plugin, cfg)
	conn, ok := s.Plugin.New().(sdk.SourceConnector)
	if !ok {
		t.Fatalf("New returned %T, not an sdk.SourceConnector", s.Plugin.New())
	}
	st := conn.NewSourceTask()
	if err := st.Start(ctxT(t), taskCfg, offsets); err != nil {
		t.Fatalf("task Start: %v", err)
	}
	return st
}

// poll polls until until says it has enough, or the timeout.
func (s *Source) poll(t *testing.T, st sdk.SourceTask, until func([]sdk.Record) bool) []sdk.Record {
	ctx, cancel := context.WithTimeout(context.Background(), s.PollTimeout)
	defer cancel()
	var got []sdk.Record
	for !until(got) {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		recs, err := st.Poll(pctx)
		pcancel()
		if ctx.Err() != nil {
			t.Fatalf("polled %d records in %s, not enough", len(got), s.PollTimeout)
		}
		if err != nil && pctx.Err() == nil {
			t.Fatalf("Poll: %v (%s)", err, classOf(err))
		}
		for _, r := range recs {
			if r.Topic == "" {
				t.Errorf("record %v has no topic", r)
			}
			if r.SourcePartition == nil || r.SourceOffset == nil {
				t.Fatalf("record %v lacks SourcePartition or SourceOffset: the runtime cannot resume after it", r)
			}
		}
		got = append(got, recs...)
	}
	return got
}

func atLeast(n int) func([]sdk.Record) bool {
	return func(rs []sdk.Record) bool { return len(rs) >= n }
}

func stopSource(t *testing.T, st sdk.SourceTask) {
	if err := st.Stop(ctxT(t)); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// lastPositions returns the last position of each source partition in recs.
func lastPositions(recs []sdk.Record) []sdk.Position {
	idx := map[string]int{}
	var out []sdk.Position
	for _, r := range recs {
		k := key(r.SourcePartition)
		if i, ok := idx[k]; ok {
			out[i].Offset = r.SourceOffset
			continue
		}
		idx[k] = len(out)
		out = append(out, sdk.Position{Partition: r.SourcePartition, Offset: r.SourceOffset})
	}
	return out
}

const sourceRecords = 60

func (s *Source) lifecycle(t *testing.T) {
	cfg := s.Config(t)
	s.Append(t, cfg, sourceRecords)
	st := s.start(t, cfg, positions{})
	got := s.poll(t, st, atLeast(sourceRecords))
	seen := map[string]bool{}
	for _, r := range got {
		id := recordID(r)
		if seen[id] {
			t.Errorf("position %s was polled twice in one run", id)
		}
		seen[id] = true
	}
	if err := st.Commit(ctxT(t), lastPositions(got)); err != nil {
		t.Errorf("Commit: %v", err)
	}
	stopSource(t, st)
}

// restart polls, commits the positions of the first half, stops, and
// starts again from them: the second half must be polled again.
func (s *Source) restart(t *testing.T) {
	cfg := s.Config(t)
	s.Append(t, cfg, sourceRecords)
	st := s.start(t, cfg, positions{})
	first := s.poll(t, st, atLeast(sourceRecords))[:sourceRecords]
	half := sourceRecords / 2
	committed := lastPositions(first[:half])
	if err := st.Commit(ctxT(t), committed); err != nil {
		t.Errorf("Commit: %v", err)
	}
	stopSource(t, st)

	stored := positions{}
	for _, p := range committed {
		stored[key(p.Partition)] = p.Offset
	}
	st = s.start(t, cfg, stored)
	defer stopSource(t, st)
	want := map[string]bool{}
	for _, r := range first[half:] {
		want[recordID(r)] = true
	}
	missing := func(rs []sdk.Record) int {
		found := map[string]bool{}
		for _, r := range rs {
			if id := recordID(r); want[id] {
				found[id] = true
			}
		}
		return len(want) - len(found)
	}
	again := s.poll(t, st, func(rs []sdk.Record) bool {
		return missing(rs) == 0 || len(rs) > 4*sourceRecords
	})
	if n := missing(again); n > 0 {
		t.Errorf("after a restart from the committed positions, %d of the %d uncommitted records were not polled again", n, len(want))
	}
	if s.ExactlyOnce {
		done := map[string]bool{}
		for _, r := range first[:half] {
			done[recordID(r)] = true
		}
		for _, r := range again {
			if done[recordID(r)] {
				t.Errorf("position %s was committed but polled again, though the source claims exactly once", recordID(r))
			}
		}
	}
}
