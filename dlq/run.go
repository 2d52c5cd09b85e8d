package dlq

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// maxSpansPerEntry bounds the spans in one journal entry, so that an entry
// stays far below Kafka's message size limit however scattered the
// drained offsets are.
const maxSpansPerEntry = 4096

// run is one replay or skip of a queue. It reads the queue's state without
// writing anything; fence, called before the first change, takes the
// queue's journal (fencing any other run on it), reconciles runs that were
// killed, and writes the start entry.
type run struct {
	d     *Drainer
	q     Queue
	st    *state
	id    string
	start entry
	w     *journalWriter // nil until fenced
	// recovered counts records that interrupted runs replayed after their
	// last journal entry, found by reconcile.
	recovered int64
}

func (d *Drainer) newRun(ctx context.Context, q Queue, start entry) (*run, error) {
	st, err := d.load(ctx, q.Topic)
	if err != nil {
		return nil, err
	}
	start.Type, start.Queue, start.TopicID = entryStart, q.Topic, st.topicID
	start.Run = newRunID(d.o.now())
	start.Time = d.o.now().UTC()
	return &run{d: d, q: q, st: st, id: start.Run, start: start}, nil
}

func (r *run) fenced() bool { return r.w != nil }

// fence makes this run the queue's only writer: its journal transaction
// fences any other, it re-reads what others journaled meanwhile, closes
// runs that were killed (finding what they replayed after their last
// entry), and records as expired what retention deleted before anyone
// drained it.
func (r *run) fence(ctx context.Context) error {
	if r.fenced() {
		return nil
	}
	w, err := r.d.newJournalWriter(ctx, r.q.Topic)
	if err != nil {
		return err
	}
	offs, err := w.write(ctx, r.start)
	if err != nil {
		w.close()
		return err
	}
	r.w = w
	// Read what others journaled up to and including this run's start.
	r.st.auditParts, r.st.auditPart = w.partitions, w.partition
	if err := r.d.catchUp(ctx, r.st, offs[0]); err != nil {
		return err
	}
	if _, ok := r.st.open[r.id]; !ok {
		return fmt.Errorf("journal %s: the start entry of run %s was not read back", r.q.Topic, r.id)
	}
	if err := r.reconcile(ctx, true); err != nil {
		return err
	}
	if gone := r.st.expiredSpans(); len(gone) > 0 {
		var n int64
		for _, ss := range gone {
			n += ss.total()
		}
		r.d.o.log.Warn("dead letters expired before they were drained", zap.String("topic", r.q.Topic), zap.Int64("records", n))
		if err := r.write(ctx, r.entries(entryProgress, r.id, gone, entry{Note: "expired: deleted by retention before they were drained"})...); err != nil {
			return err
		}
	}
	return r.d.commitCursor(ctx, r.st)
}

// reconcile closes the runs the journal shows open (other than this one):
// each was killed before its end entry. For a replay to the source topic it
// looks, in the source partitions past the positions the run journaled,
// for records carrying its run id, and counts their dead-letter offsets as
// drained. With write false (a dry run) the state is changed in memory
// only.
func (r *run) reconcile(ctx context.Context, write bool) error {
	for id, ri := range r.st.open {
		if id == r.id {
			continue
		}
		found := map[int32]spans{}
		status := "interrupted; closed by run " + r.id
		switch {
		case ri.op == opReplay && ri.to == string(ToSource):
			var err error
			if found, err = r.d.findReplayed(ctx, r.q.Topic, ri); err != nil {
				return fmt.Errorf("reconcile interrupted run %s: %w", id, err)
			}
			var n int64
			for _, ss := range found {
				n += ss.total()
			}
			r.recovered += n
			status = fmt.Sprintf("interrupted; run %s found %d records it replayed after its last entry", r.id, n)
		case ri.op == opReplay:
			status = "interrupted; records handed to the sink after its last entry may be replayed again; closed by run " + r.id
		}
		es := r.entries(entryEnd, id, found, entry{Status: status, By: r.id})
		if write {
			if err := r.write(ctx, es...); err != nil {
				return err
			}
			continue
		}
		for _, e := range es {
			r.st.absorb(&e)
		}
	}
	return nil
}

// entries builds the journal entries that drain the given spans for run
// id: as many progress entries as the spans need, the last of type typ
// (progress or end) carrying tmpl's other fields.
func (r *run) entries(typ, id string, drained map[int32]spans, tmpl entry) []entry {
	var out []entry
	for p, ss := range drained {
		for _, c := range ss.chunks(maxSpansPerEntry) {
			out = append(out, entry{Type: entryProgress, Run: id, Drained: map[int32]spans{p: c}, Count: c.total()})
		}
	}
	last := tmpl
	last.Type, last.Run = typ, id
	if n := len(out); n > 0 && typ == entryProgress {
		// Fold the template into the last chunk.
		last.Drained, last.Count = out[n-1].Drained, out[n-1].Count
		out = out[:n-1]
	}
	out = append(out, last)
	for i := range out {
		out[i].Queue, out[i].TopicID, out[i].Time = r.q.Topic, r.st.topicID, r.d.o.now().UTC()
	}
	return out
}

// write journals entries in one transaction and folds them into the state.
func (r *run) write(ctx context.Context, es ...entry) error {
	offs, err := r.w.write(ctx, es...)
	if err != nil {
		return err
	}
	for i, e := range es {
		r.st.apply(journaled{at: offs[i], e: e})
	}
	return nil
}

// finish journals the run's end and commits the drain cursor.
func (r *run) finish(ctx context.Context, e entry) error {
	if !r.fenced() {
		return nil
	}
	e.Type, e.Run, e.Queue, e.TopicID, e.Time = entryEnd, r.id, r.q.Topic, r.st.topicID, r.d.o.now().UTC()
	if err := r.write(ctx, e); err != nil {
		return err
	}
	return r.d.commitCursor(ctx, r.st)
}

func (r *run) close() {
	if r.w != nil {
		r.w.close()
	}
}

// absorb applies an entry to the state in memory only (a dry run's view of
// a reconciled run): it drains the entry's spans and closes its run.
func (s *state) absorb(e *entry) {
	for p, ss := range e.Drained {
		sp := s.drained[p]
		if sp == nil {
			sp = &spans{}
			s.drained[p] = sp
		}
		for _, x := range ss {
			sp.add(x.From, x.To)
		}
	}
	if e.Type == entryEnd {
		delete(s.open, e.Run)
	}
}

// findReplayed scans the source partitions an interrupted replay wrote to,
// from the positions it journaled, for the records it produced.
func (d *Drainer) findReplayed(ctx context.Context, queue string, ri *runInfo) (map[int32]spans, error) {
	found := map[int32]spans{}
	for topic, parts := range ri.targets {
		ends, err := d.adm.ListEndOffsets(ctx, topic)
		if err != nil {
			return nil, fmt.Errorf("list end offsets of %s: %w", topic, err)
		}
		bounds := map[int32]Span{}
		for p, from := range parts {
			if e, ok := ends.Lookup(topic, p); ok && e.Err == nil && e.Offset > from {
				bounds[p] = Span{from, e.Offset}
			}
		}
		err = d.scan(ctx, topic, bounds, scanOpts{}, func(rec *kgo.Record) error {
			var id, q, p, o string
			for _, h := range rec.Headers {
				switch h.Key {
				case HeaderReplayID:
					id = string(h.Value)
				case HeaderReplayDLQTopic:
					q = string(h.Value)
				case HeaderReplayDLQPartition:
					p = string(h.Value)
				case HeaderReplayDLQOffset:
					o = string(h.Value)
				}
			}
			if id != ri.id || q != queue {
				return nil
			}
			pn, perr := strconv.ParseInt(p, 10, 32)
			on, oerr := strconv.ParseInt(o, 10, 64)
			if perr != nil || oerr != nil {
				return nil
			}
			ss := found[int32(pn)]
			ss.add(on, on+1)
			found[int32(pn)] = ss
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}
