package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"go.uber.org/zap"
)

// partState is one dead-letter partition: its log bounds and drain cursor.
type partState struct {
	start, end int64 // log start and end offsets when loaded
	low        int64 // committed drain cursor: every offset below is drained
}

// runInfo is a run that the journal shows started and not ended.
type runInfo struct {
	id, op, to, connector, who string
	at                         int64 // audit offset of its start entry
	started                    time.Time
	targets                    map[string]map[int32]int64
}

// mark is a journal entry that drains offsets, with the highest it drains
// per partition: while any is above the low-water mark, later loads must
// read the entry again.
type mark struct {
	at  int64
	top map[int32]int64
}

// state is what is drained of one dead-letter queue: the drain cursor plus
// the journal entries read from the audit topic, folded. fold and the
// queries below do no I/O.
type state struct {
	queue   string
	topicID string
	exists  bool
	parts   map[int32]*partState
	drained map[int32]*spans
	open    map[string]*runInfo
	marks   []mark

	auditParts int   // partitions of the audit topic; 0: it does not exist
	auditPart  int32 // the one holding this queue's entries
	next       int64 // next audit offset to read
}

func newState(queue string) *state {
	return &state{queue: queue, parts: map[int32]*partState{}, drained: map[int32]*spans{}, open: map[string]*runInfo{}}
}

// apply folds one journal entry into the state. Entries about another
// incarnation of the topic (deleted and created again) are ignored.
func (s *state) apply(j journaled) {
	s.next = max(s.next, j.at+1)
	e := &j.e
	if e.TopicID != "" && s.topicID != "" && e.TopicID != s.topicID {
		return
	}
	switch e.Type {
	case entryStart:
		s.open[e.Run] = &runInfo{id: e.Run, op: e.Op, to: e.To, connector: e.Connector, who: e.Who, at: j.at, started: e.Time, targets: map[string]map[int32]int64{}}
	case entryProgress, entryEnd:
		if r := s.open[e.Run]; r != nil {
			for t, ps := range e.Targets {
				if r.targets[t] == nil {
					r.targets[t] = map[int32]int64{}
				}
				for p, o := range ps {
					r.targets[t][p] = max(r.targets[t][p], o)
				}
			}
		}
		if e.Type == entryEnd {
			delete(s.open, e.Run)
		}
	}
	if len(e.Drained) == 0 {
		return
	}
	m := mark{at: j.at, top: map[int32]int64{}}
	for p, ss := range e.Drained {
		sp := s.drained[p]
		if sp == nil {
			sp = &spans{}
			s.drained[p] = sp
		}
		for _, r := range ss {
			sp.add(r.From, r.To)
			m.top[p] = max(m.top[p], r.To)
		}
	}
	s.marks = append(s.marks, m)
}

// isDrained reports whether the record at p/o was replayed or skipped.
func (s *state) isDrained(p int32, o int64) bool {
	if ps := s.parts[p]; ps != nil && o < ps.low {
		return true
	}
	sp := s.drained[p]
	return sp != nil && sp.contains(o)
}

// lowWater is the first offset of p that is not drained.
func (s *state) lowWater(p int32) int64 {
	ps := s.parts[p]
	if ps == nil {
		return 0
	}
	if sp := s.drained[p]; sp != nil {
		return sp.advance(ps.low)
	}
	return ps.low
}

// pointer is the audit offset the next load must read from: the first
// entry of a run still open, or the first that drains anything above the
// low-water mark; past everything read when there is none.
func (s *state) pointer() int64 {
	ptr := s.next
	for _, r := range s.open {
		ptr = min(ptr, r.at)
	}
	for _, m := range s.marks {
		if m.at >= ptr {
			continue
		}
		for p, top := range m.top {
			if top > s.lowWater(p) {
				ptr = min(ptr, m.at)
				break
			}
		}
	}
	return ptr
}

// undrained returns, for partition p, the offsets [from, end) to read for
// records not yet drained: from the cursor, or the log start if later.
func (s *state) undrained(p int32) Span {
	ps := s.parts[p]
	return Span{max(s.lowWater(p), ps.start), ps.end}
}

// depth counts the records present and not drained, and those that expired
// (deleted by retention) before anyone drained them.
func (s *state) depth() (depth, expired int64) {
	for p, ps := range s.parts {
		low := s.lowWater(p)
		var sp spans
		if d := s.drained[p]; d != nil {
			sp = *d
		}
		from := max(low, ps.start)
		if ps.end > from {
			depth += ps.end - from - sp.count(from, ps.end)
		}
		if top := min(ps.start, ps.end); top > low {
			expired += top - low - sp.count(low, top)
		}
	}
	return depth, expired
}

// expiredSpans returns, per partition, the offsets below the log start
// that were never drained.
func (s *state) expiredSpans() map[int32]spans {
	out := map[int32]spans{}
	for p, ps := range s.parts {
		low := s.lowWater(p)
		var have spans
		if d := s.drained[p]; d != nil {
			have = *d
		}
		var gone spans
		for o := low; o < ps.start; {
			i := sort.Search(len(have), func(i int) bool { return have[i].To > o })
			if i < len(have) && have[i].From <= o {
				o = have[i].To
				continue
			}
			to := ps.start
			if i < len(have) {
				to = min(to, have[i].From)
			}
			gone.add(o, to)
			o = to
		}
		if len(gone) > 0 {
			out[p] = gone
		}
	}
	return out
}

// partitions returns the partition numbers in order.
func (s *state) partitions() []int32 {
	ps := make([]int32, 0, len(s.parts))
	for p := range s.parts {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}

// cursorMeta is the offset commit metadata of a drain group.
type cursorMeta struct {
	V       int   `json:"v"`
	Journal int64 `json:"journal"` // audit offset to read from
}

// load reads a queue's state: the topic's bounds and id, the drain
// group's cursor, and the journal from the cursor's pointer on.
func (d *Drainer) load(ctx context.Context, queue string) (*state, error) {
	s := newState(queue)
	td, err := d.describe(ctx, queue)
	if err != nil {
		return nil, err
	}
	t, ok := td[queue]
	s.exists = ok
	if s.exists {
		s.topicID = t.id
		starts, err := d.adm.ListStartOffsets(ctx, queue)
		if err != nil {
			return nil, fmt.Errorf("list start offsets of %s: %w", queue, err)
		}
		ends, err := d.adm.ListEndOffsets(ctx, queue)
		if err != nil {
			return nil, fmt.Errorf("list end offsets of %s: %w", queue, err)
		}
		for _, p := range t.partitions {
			st, _ := starts.Lookup(queue, p)
			en, _ := ends.Lookup(queue, p)
			if st.Err != nil || en.Err != nil {
				return nil, fmt.Errorf("list offsets of %s-%d: %w", queue, p, errors.Join(st.Err, en.Err))
			}
			s.parts[p] = &partState{start: st.Offset, end: en.Offset, low: st.Offset}
		}
	}
	ptr := int64(-1)
	committed, err := d.adm.FetchOffsets(ctx, Group(queue))
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, fmt.Errorf("fetch drain cursor %s: %w", Group(queue), err)
	}
	committed.Each(func(o kadm.OffsetResponse) {
		if o.Topic != queue || o.Err != nil || o.At < 0 {
			return
		}
		if ps := s.parts[o.Partition]; ps != nil {
			if o.At > ps.end {
				// The topic was deleted and created again: its history is
				// another topic's. Start over from its log start.
				d.o.log.Warn("drain cursor is past the end of the dead-letter topic; ignoring it",
					zap.String("topic", queue), zap.Int32("partition", o.Partition), zap.Int64("offset", o.At))
			} else {
				ps.low = o.At
			}
		}
		var m cursorMeta
		if json.Unmarshal([]byte(o.Metadata), &m) == nil && m.V == 1 && (ptr < 0 || m.Journal < ptr) {
			ptr = m.Journal
		}
	})
	s.next = max(ptr, 0)
	n, err := d.auditLayout(ctx)
	if err != nil {
		return nil, err
	}
	s.auditParts = n
	if n == 0 {
		return s, nil
	}
	s.auditPart = auditPartition(queue, n)
	if err := d.catchUp(ctx, s, -1); err != nil {
		return nil, err
	}
	return s, nil
}

// catchUp folds the journal entries written since the state last read it,
// at least up to offset least (-1: whatever is there).
func (d *Drainer) catchUp(ctx context.Context, s *state, least int64) error {
	if s.auditParts == 0 {
		return nil
	}
	es, next, err := d.readJournal(ctx, s.queue, s.auditPart, s.next, least)
	if err != nil {
		return err
	}
	for _, j := range es {
		s.apply(j)
	}
	s.next = max(s.next, next)
	return nil
}

// commitCursor commits the low-water mark of every partition to the drain
// group, with the journal pointer in the commit metadata.
func (d *Drainer) commitCursor(ctx context.Context, s *state) error {
	if len(s.parts) == 0 {
		return nil
	}
	md, _ := json.Marshal(cursorMeta{V: 1, Journal: s.pointer()})
	os := kadm.Offsets{}
	for p := range s.parts {
		os.Add(kadm.Offset{Topic: s.queue, Partition: p, At: s.lowWater(p), LeaderEpoch: -1, Metadata: string(md)})
	}
	resp, err := d.adm.CommitOffsets(ctx, Group(s.queue), os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return fmt.Errorf("commit drain cursor %s: %w", Group(s.queue), err)
	}
	for p, ps := range s.parts {
		ps.low = s.lowWater(p)
		if sp := s.drained[p]; sp != nil {
			*sp = sp.above(ps.low)
		}
	}
	return nil
}
