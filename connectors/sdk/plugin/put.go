package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/freshet-dev/freshet/connectors/sdk"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// Put receives a batch in chunks and puts it into the task while the rest
// arrives: whenever the task is ready for more, it gets every record decoded
// since its last Put. The task writes one part while the next part crosses
// and is decoded, instead of waiting for the whole batch (a batch of 10,000
// 1 KiB records is 40 chunks). So a worker batch may reach the task as
// several Puts, as any batch boundary may differ between runs; the outcome
// sent back is the batch's, with each failure at its index in the batch.
func (s *server) Put(stream pb.Plugin_PutServer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.sinkTask()
	if err != nil {
		return pb.Status(err)
	}
	p := startPutter(stream.Context(), t)
	recs := s.batch[:0]
	for err == nil {
		var chunk pb.RawBatch
		if err = stream.RecvMsg(&chunk); err != nil {
			break
		}
		var data []byte
		if data, err = s.chunkBytes(chunk.Data); err != nil {
			err = sdk.Fatal(fmt.Errorf("put: %w", err))
			break
		}
		if recs, err = s.dec.Decode(data, recs); err != nil {
			err = sdk.Fatal(fmt.Errorf("decode batch: %w", err))
			break
		}
		p.decoded <- recs
	}
	close(p.decoded)
	<-p.done // the task holds none of recs after this
	clear(recs)
	s.batch = recs[:0] // keep the capacity for the next batch
	switch {
	case err != io.EOF:
		return pb.Status(err)
	case p.err != nil:
		return pb.Status(p.err)
	}
	out := &pb.PutResponse{}
	for _, f := range p.failed {
		out.Failed = append(out.Failed, &pb.RecordError{Index: uint32(f.index), Error: pb.EncodeError(f.err)})
	}
	return stream.SendAndClose(out)
}

// putter calls the task's Put from its own goroutine on the records decoded
// so far, and gathers the batch's outcome.
type putter struct {
	ctx     context.Context
	task    sdk.SinkTask
	decoded chan []sdk.Record // the batch decoded so far, each send longer than the last
	done    chan struct{}     // closed when the goroutine has returned

	// Written by the goroutine, read after done.
	err    error     // the batch failed as a whole
	failed []failure // per-record failures, at their index in the batch
	stop   *failure  // a retriable failure part-way: the records from stop.index on are to be retried
}

type failure struct {
	index int
	err   error
}

func startPutter(ctx context.Context, task sdk.SinkTask) *putter {
	p := &putter{ctx: ctx, task: task, decoded: make(chan []sdk.Record, 128), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *putter) run() {
	defer close(p.done)
	var recs []sdk.Record
	put, more := 0, true
	for more {
		// Wait for something new, then take everything that has arrived.
		if recs, more = <-p.decoded; !more {
			break
		}
	drain:
		for {
			select {
			case r, ok := <-p.decoded:
				if !ok {
					more = false
					break drain
				}
				recs = r
			default:
				break drain
			}
		}
		if p.err == nil && p.stop == nil && put < len(recs) {
			p.put(recs, put)
		}
		put = len(recs)
	}
	// A retriable failure part-way stops the Puts: everything from there on
	// is to be retried, and nothing before it is put again.
	if p.stop != nil {
		for i := p.stop.index; i < len(recs); i++ {
			p.failed = append(p.failed, failure{i, p.stop.err})
		}
	}
}

// put puts recs[from:], the records that arrived since the last Put.
func (p *putter) put(recs []sdk.Record, from int) {
	part := recs[from:]
	err := safePut(p.ctx, p.task, part)
	var berr *sdk.BatchError
	switch {
	case err == nil:
	case errors.As(err, &berr):
		for i, rerr := range berr.Failed {
			if i < 0 || i >= len(part) {
				p.err = sdk.Fatal(fmt.Errorf("the task reported record %d of a batch of %d", i, len(part)))
				return
			}
			if rerr == nil {
				rerr = errors.New("failed without an error")
			}
			p.failed = append(p.failed, failure{from + i, rerr})
		}
	case from > 0 && isRetriable(err):
		// The records before from are written: fail the rest, so that the
		// worker retries only those.
		p.stop = &failure{from, err}
	default:
		p.err = err
	}
}

func isRetriable(err error) bool {
	c, ok := sdk.ClassOf(err)
	return ok && c == sdk.ClassRetriable && !errors.Is(err, sdk.ErrTaskReset)
}

// safePut calls the task's Put with a panic turned into a fatal error, as
// the worker does at the task boundary.
func safePut(ctx context.Context, t sdk.SinkTask, recs []sdk.Record) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = sdk.Fatal(fmt.Errorf("panic in put: %v\n%s", v, debug.Stack()))
		}
	}()
	return t.Put(ctx, recs)
}
