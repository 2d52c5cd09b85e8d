package host

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"unsafe"

	"github.com/freshet-dev/freshet/connectors/sdk"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// sinkTask is the host end of a sink task in a plugin process
// (sdk.SinkTask). Batches cross in chunks, encoded with a reused encoder.
//
// After the process dies, the next Put or Flush returns the crash, wrapping
// sdk.ErrTaskReset: whatever the dead process had buffered is gone, and the
// worker goes back to its last commit. Open restarts the process
// transparently (it starts with nothing open, so nothing is lost), and so
// does any call after the worker has been told.
type sinkTask struct {
	sup  *supervisor
	name string
	cfg  map[string]string
	enc  pb.Encoder
}

func (t *sinkTask) restore(ctx context.Context, p *process) error {
	_, err := p.rpc.StartSink(ctx, &pb.StartTaskRequest{Connector: t.name, Config: t.cfg})
	return err
}

func (t *sinkTask) Start(ctx context.Context, cfg map[string]string) error {
	t.cfg = maps.Clone(cfg)
	_, err := t.sup.live(ctx, t.restore)
	return err
}

func (t *sinkTask) Open(ctx context.Context, partitions []sdk.TopicPartition) (sdk.Offsets, error) {
	for {
		p, err := t.sup.live(ctx, t.restore)
		if err != nil {
			return nil, err
		}
		resp, err := p.rpc.Open(ctx, &pb.PartitionsRequest{Partitions: pb.Partitions(partitions)})
		if err = t.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return pb.ToOffsets(resp.Offsets), nil
	}
}

func (t *sinkTask) Put(ctx context.Context, batch []sdk.Record) error {
	p, err := t.sup.liveForData(ctx, t.restore)
	if err != nil {
		return err
	}
	resp, err := t.put(ctx, p, batch)
	if err = t.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
		return t.sup.pending()
	}
	if err != nil {
		return err
	}
	if len(resp.Failed) == 0 {
		return nil
	}
	berr := sdk.NewBatchError()
	for _, f := range resp.Failed {
		if int(f.Index) >= len(batch) {
			return sdk.Fatal(fmt.Errorf("plugin %s reported record %d of a batch of %d", t.name, f.Index, len(batch)))
		}
		rerr := pb.DecodeError(f.Error)
		if rerr == nil {
			rerr = errors.New("failed without an error")
		}
		berr.Fail(int(f.Index), rerr)
	}
	return berr
}

// put streams the batch in chunks and waits for the outcome. With a
// shared region, chunks are encoded into it and only references cross the
// socket; a Put that does not end with a PutResponse may have left the
// plugin reading the region, so the process's later Puts go inline.
func (t *sinkTask) put(ctx context.Context, p *process, batch []sdk.Record) (*pb.PutResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream if encoding fails half way
	stream, err := p.rpc.Put(ctx)
	if err != nil {
		return nil, err
	}
	t.enc.Packed = p.packed
	var encErr error
	send := func(chunk *pb.RawBatch) error {
		if err := stream.SendMsg(chunk); err != nil {
			encErr = err
			return err
		}
		return nil
	}
	if p.shared != nil {
		err = t.encodeShared(p.shared, batch, send)
	} else {
		err = t.enc.EncodeChunks(batch, send)
	}
	switch {
	case encErr != nil:
		// The stream broke; CloseAndRecv says why.
	case err != nil:
		p.shared = nil
		return nil, sdk.Fatal(fmt.Errorf("put: encode batch for plugin %s: %w", t.name, err))
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		p.shared = nil
	}
	return resp, err
}

// encodeShared encodes batch into region, one chunk after another, and
// sends a reference to each; the chunks that do not fit go inline.
func (t *sinkTask) encodeShared(region []byte, batch []sdk.Record, send func(*pb.RawBatch) error) error {
	off, start := 0, 0
	for {
		var chunk *pb.RawBatch
		if rest := region[off:]; len(rest) >= sharedChunkBytes {
			buf, end, err := t.enc.AppendChunk(rest[:0], batch, start, sharedChunkBytes)
			if err != nil {
				return err
			}
			if len(buf) > 0 && unsafe.SliceData(buf) != unsafe.SliceData(rest) {
				// It outgrew the region and append moved it to the heap.
				chunk, off = &pb.RawBatch{Data: buf}, len(region)
			} else {
				chunk, off = pb.SharedRef(off, len(buf)), off+len(buf)
			}
			start = end
		} else {
			buf, end, err := t.enc.AppendChunk(make([]byte, 0, pb.ChunkBytes+pb.ChunkBytes/8), batch, start, pb.ChunkBytes)
			if err != nil {
				return err
			}
			chunk, start = &pb.RawBatch{Data: buf}, end
		}
		if err := send(chunk); err != nil {
			return err
		}
		if start >= len(batch) {
			return nil
		}
	}
}

func (t *sinkTask) Flush(ctx context.Context, offsets sdk.Offsets) (sdk.Offsets, error) {
	p, err := t.sup.liveForData(ctx, t.restore)
	if err != nil {
		return nil, err
	}
	resp, err := p.rpc.Flush(ctx, &pb.OffsetsMessage{Offsets: pb.Offsets(offsets)})
	if err = t.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
		return nil, t.sup.pending()
	}
	if err != nil {
		return nil, err
	}
	if resp.UseRequested {
		return nil, nil
	}
	out := pb.ToOffsets(resp.Offsets)
	if out == nil {
		out = sdk.Offsets{} // the task returned an empty, non-nil map: nothing is durable
	}
	return out, nil
}

// Close closes partitions in the process. A dead process has nothing open:
// the crash is reported by the next Put or Flush.
func (t *sinkTask) Close(ctx context.Context, partitions []sdk.TopicPartition) error {
	p := t.sup.alive()
	if p == nil {
		return nil
	}
	_, err := p.rpc.Close(ctx, &pb.PartitionsRequest{Partitions: pb.Partitions(partitions)})
	if err = t.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
		return nil
	}
	return err
}

// Stop stops the task and its process.
func (t *sinkTask) Stop(ctx context.Context) error {
	defer t.sup.stop()
	p := t.sup.alive()
	if p == nil {
		return nil
	}
	_, err := p.rpc.StopSink(ctx, &pb.Empty{})
	if err = t.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
		return nil
	}
	return err
}
