package dlq

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// SkipOptions says which dead letters to skip and why.
type SkipOptions struct {
	Filter Filter
	// Reason is required: it goes to the audit topic with Who and the time.
	Reason string
	Who    string
	DryRun bool
}

// SkipResult tells what a skip did.
type SkipResult struct {
	Queue   Queue  `json:"dlq"`
	Run     string `json:"run,omitempty"`
	DryRun  bool   `json:"dry_run"`
	Scanned int64  `json:"scanned"`
	Skipped int64  `json:"skipped"`
	// Offsets lists the skipped dead-letter offsets, by partition.
	Offsets map[int32][]Span `json:"offsets"`
}

// Skip moves the drain cursor past the dead letters of target that
// o.Filter selects, on purpose: they will not be replayed. Who, when, why
// and which offsets go to the audit topic.
func (d *Drainer) Skip(ctx context.Context, target string, o SkipOptions) (SkipResult, error) {
	res := SkipResult{DryRun: o.DryRun, Offsets: map[int32][]Span{}}
	o.Reason = strings.TrimSpace(o.Reason)
	switch {
	case o.Reason == "":
		return res, fmt.Errorf("%w: a skip needs a reason, for the audit trail", ErrInvalid)
	case o.Filter.IncludeDrained:
		return res, fmt.Errorf("%w: drained records cannot be skipped", ErrInvalid)
	}
	q, err := d.Resolve(ctx, target)
	if err != nil {
		return res, err
	}
	defer d.lockQueue(q.Topic)()
	res.Queue = q
	r, err := d.newRun(ctx, q, entry{Op: opSkip, Filter: o.Filter.String(), Who: o.Who, Reason: o.Reason})
	if err != nil {
		return res, err
	}
	defer r.close()
	if len(r.st.open) > 0 {
		if o.DryRun {
			err = r.reconcile(ctx, false)
		} else {
			err = r.fence(ctx)
		}
		if err != nil {
			return res, err
		}
	}
	// Select first, then fence and re-check: a skip that selects nothing
	// writes nothing.
	sel, err := d.selectUndrained(ctx, r.st, o.Filter, &res.Scanned)
	if err != nil {
		return res, err
	}
	if !o.DryRun && len(sel) > 0 {
		if err := r.fence(ctx); err != nil {
			return res, err
		}
		for p, ss := range sel {
			var keep spans
			for _, s := range ss {
				for o := s.From; o < s.To; o++ {
					if !r.st.isDrained(p, o) {
						keep.add(o, o+1)
					}
				}
			}
			sel[p] = keep
		}
	}
	var n int64
	for p, ss := range sel {
		if len(ss) > 0 {
			res.Offsets[p] = ss
			n += ss.total()
		}
	}
	res.Skipped = n
	if o.DryRun || n == 0 {
		return res, nil
	}
	res.Run = r.id
	es := r.entries(entryProgress, r.id, sel, entry{Reason: o.Reason, Who: o.Who})
	if err := r.write(ctx, es...); err != nil {
		return res, err
	}
	return res, r.finish(ctx, entry{Status: "done", Count: n, Reason: o.Reason, Who: o.Who})
}

// selectUndrained returns the offsets of the records f selects that are
// not drained.
func (d *Drainer) selectUndrained(ctx context.Context, st *state, f Filter, scanned *int64) (map[int32]spans, error) {
	bounds := map[int32]Span{}
	for p := range st.parts {
		b := st.undrained(p)
		b.From = max(b.From, f.FromOffset)
		bounds[p] = b
	}
	sel := map[int32]spans{}
	var matched int
	err := d.scan(ctx, st.queue, bounds, scanOpts{}, func(r *kgo.Record) error {
		*scanned++
		if st.isDrained(r.Partition, r.Offset) {
			return nil
		}
		m := indexHeaders(r.Headers)
		if !f.match(&m, r) {
			return nil
		}
		ss := sel[r.Partition]
		ss.add(r.Offset, r.Offset+1)
		sel[r.Partition] = ss
		matched++
		if f.Limit > 0 && matched >= f.Limit {
			return errStop
		}
		return nil
	})
	return sel, err
}
