package dlq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// errStop ends a scan early without an error.
var errStop = errors.New("stop scan")

// Waiting for records: every scanCheck without a record a scan asks
// whether retention deleted the rest of its range; after scanIdle without
// one it takes the rest of the range as gone (compacted away).
const (
	scanCheck = 2 * time.Second
	scanIdle  = 15 * time.Second
)

// scanOpts says how to read a topic.
type scanOpts struct {
	// committed reads only committed transactional data (the journal).
	committed bool
}

// scan reads the offsets [From, To) of each partition in bounds, in offset
// order per partition, and calls fn for each record; fn returns errStop to
// end the scan early. Fetches are large and several partitions are read at
// once: that, and filters that look only at headers, is what makes a scan
// of a million records take seconds.
func (d *Drainer) scan(ctx context.Context, topic string, bounds map[int32]Span, so scanOpts, fn func(*kgo.Record) error) error {
	start := map[int32]kgo.Offset{}
	for p, b := range bounds {
		if b.From < b.To {
			start[p] = kgo.NewOffset().At(b.From)
		}
	}
	if len(start) == 0 {
		return nil
	}
	// The first fetch is small, so that the first records (and a scan that
	// stops at --limit) come quickly; then fetches grow to the full size.
	opts := []kgo.Opt{
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}),
		kgo.FetchMaxBytes(min(d.o.fetchMaxBytes, 1<<20)),
		kgo.FetchMaxPartitionBytes(min(d.o.fetchMaxBytes, 1<<20)),
		kgo.FetchMaxWait(500 * time.Millisecond),
	}
	// Control records (transaction markers, which fn never sees) are kept so
	// that a range ending in one is seen to end.
	opts = append(opts, kgo.KeepControlRecords())
	if so.committed {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := d.newClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	left := len(start)
	done := map[int32]bool{}
	finish := func(p int32) {
		if !done[p] {
			done[p] = true
			left--
			cl.PauseFetchPartitions(map[string][]int32{topic: {p}})
		}
	}
	idleSince, checked := time.Now(), time.Now()
	grown := false
	for left > 0 {
		pctx, cancel := context.WithTimeout(ctx, scanCheck)
		fs := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fetchErr(fs); err != nil {
			return fmt.Errorf("read %s: %w", topic, err)
		}
		got := false
		var ferr error
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			if ferr != nil || done[fp.Partition] {
				return
			}
			b := bounds[fp.Partition]
			for i, r := range fp.Records {
				got = true
				if i&255 == 255 && ctx.Err() != nil {
					ferr = ctx.Err()
					return
				}
				if r.Offset >= b.To {
					finish(fp.Partition)
					return
				}
				if !r.Attrs.IsControl() {
					if err := fn(r); err != nil {
						ferr = err
						return
					}
				}
				if r.Offset >= b.To-1 {
					finish(fp.Partition)
					return
				}
			}
		})
		if errors.Is(ferr, errStop) {
			return nil
		}
		if ferr != nil {
			return ferr
		}
		if got {
			if !grown {
				cl.UpdateFetchMaxBytes(d.o.fetchMaxBytes, d.o.fetchMaxBytes)
				grown = true
			}
			idleSince, checked = time.Now(), time.Now()
			continue
		}
		if time.Since(checked) >= scanCheck {
			checked = time.Now()
			if err := d.finishGone(ctx, topic, bounds, done, finish, time.Since(idleSince) >= scanIdle); err != nil {
				return err
			}
		}
	}
	return nil
}

// finishGone ends the partitions whose remaining range no longer holds
// records: retention deleted it (the log now starts at or past its end),
// or, with idle, nothing arrived for so long that it must have been
// compacted away.
func (d *Drainer) finishGone(ctx context.Context, topic string, bounds map[int32]Span, done map[int32]bool, finish func(int32), idle bool) error {
	starts, err := d.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("list start offsets of %s: %w", topic, err)
	}
	for p, b := range bounds {
		if done[p] || b.From >= b.To {
			continue
		}
		if s, ok := starts.Lookup(topic, p); idle || ok && s.Err == nil && s.Offset >= b.To {
			if idle {
				d.o.log.Warn("no records arrived for the rest of a range; taking them as compacted away",
					zap.String("topic", topic), zap.Int32("partition", p), zap.Int64("to", b.To))
			}
			finish(p)
		}
	}
	return nil
}

// fetchErr returns the first error in fs that franz-go does not retry.
func fetchErr(fs kgo.Fetches) error {
	var errs []error
	fs.EachError(func(topic string, p int32, err error) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return
		}
		var re interface{ IsRetriable() bool }
		if errors.As(err, &re) && re.IsRetriable() {
			return
		}
		errs = append(errs, fmt.Errorf("partition %d: %w", p, err))
	})
	return errors.Join(errs...)
}
