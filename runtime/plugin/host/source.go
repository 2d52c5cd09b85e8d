package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"

	"github.com/freshet-dev/freshet/connectors/sdk"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// sourceTask is the host end of a source task in a plugin process
// (sdk.SourceTask). After the process dies, the next Poll returns the crash,
// wrapping sdk.ErrTaskReset; the Poll after it starts a new process, whose
// task starts again from the positions the worker persisted.
type sourceTask struct {
	sup     *supervisor
	name    string
	cfg     map[string]string
	offsets sdk.OffsetReader
	dec     pb.Decoder // keeps schema pointers stable from one batch to the next
}

// restore starts the task in p: the start conversation, answering the
// task's questions about persisted offsets.
func (t *sourceTask) restore(ctx context.Context, p *process) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := p.rpc.StartSource(ctx)
	if err != nil {
		return err
	}
	start := &pb.StartSourceMessage{Msg: &pb.StartSourceMessage_Start{Start: &pb.StartTaskRequest{Connector: t.name, Config: t.cfg}}}
	if err := stream.Send(start); err != nil {
		_, err = stream.Recv() // the status says why
		return err
	}
	for {
		reply, err := stream.Recv()
		if err != nil {
			if err == io.EOF {
				return fmt.Errorf("plugin %s ended the start without saying it started", t.name)
			}
			return err
		}
		switch m := reply.Msg.(type) {
		case *pb.StartSourceReply_Started:
			_ = stream.CloseSend()
			return nil
		case *pb.StartSourceReply_Offset:
			ans, err := t.answer(ctx, m.Offset)
			if err != nil {
				return err
			}
			if err := stream.Send(&pb.StartSourceMessage{Msg: &pb.StartSourceMessage_Offset{Offset: ans}}); err != nil {
				_, err = stream.Recv()
				return err
			}
		}
	}
}

func (t *sourceTask) answer(ctx context.Context, q *pb.OffsetQuestion) (*pb.OffsetAnswer, error) {
	if t.offsets == nil {
		return &pb.OffsetAnswer{}, nil
	}
	part, err := pb.DecodeMap(q.Partition)
	if err != nil {
		return nil, sdk.Fatal(fmt.Errorf("plugin %s asked for the offset of a bad partition: %w", t.name, err))
	}
	off, err := t.offsets.Offset(ctx, part)
	if err != nil {
		return nil, fmt.Errorf("read source offset for plugin %s: %w", t.name, err)
	}
	v, err := pb.EncodeValue(off)
	if err != nil {
		return nil, sdk.Fatal(fmt.Errorf("source offset for plugin %s: %w", t.name, err))
	}
	return &pb.OffsetAnswer{Offset: v}, nil
}

func (t *sourceTask) Start(ctx context.Context, cfg map[string]string, offsets sdk.OffsetReader) error {
	t.cfg, t.offsets = maps.Clone(cfg), offsets
	_, err := t.sup.live(ctx, t.restore)
	return err
}

func (t *sourceTask) Poll(ctx context.Context) ([]sdk.Record, error) {
	if err := t.sup.pending(); err != nil {
		return nil, err
	}
	p, err := t.sup.live(ctx, t.restore)
	if err != nil {
		return nil, err
	}
	recs, err := t.poll(ctx, p)
	if err = t.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
		return nil, t.sup.pending()
	}
	if err != nil {
		return nil, err
	}
	return recs, nil
}

func (t *sourceTask) poll(ctx context.Context, p *process) ([]sdk.Record, error) {
	stream, err := p.rpc.Poll(ctx, &pb.Empty{})
	if err != nil {
		return nil, err
	}
	// A fresh slice each time: the worker keeps the records until Kafka
	// acknowledges them.
	var recs []sdk.Record
	for {
		var chunk pb.RawBatch
		err := stream.RecvMsg(&chunk)
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return nil, err
		}
		if recs, err = t.dec.Decode(chunk.Data, recs); err != nil {
			return nil, sdk.Fatal(fmt.Errorf("poll: plugin %s sent a bad batch: %w", t.name, err))
		}
	}
}

// Commit passes persisted positions on. A dead process has nothing to
// forget: its successor starts from these positions.
func (t *sourceTask) Commit(ctx context.Context, positions []sdk.Position) error {
	p := t.sup.alive()
	if p == nil {
		return nil
	}
	req := &pb.CommitRequest{Positions: make([]*pb.Position, len(positions))}
	for i, pos := range positions {
		part, err := pb.EncodeValue(pos.Partition)
		if err != nil {
			return sdk.Fatal(fmt.Errorf("commit: position %d: %w", i, err))
		}
		off, err := pb.EncodeValue(pos.Offset)
		if err != nil {
			return sdk.Fatal(fmt.Errorf("commit: position %d: %w", i, err))
		}
		req.Positions[i] = &pb.Position{Partition: part, Offset: off}
	}
	_, err := p.rpc.Commit(ctx, req)
	if err = t.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
		return nil
	}
	return err
}

// Stop stops the task and its process.
func (t *sourceTask) Stop(ctx context.Context) error {
	defer t.sup.stop()
	p := t.sup.alive()
	if p == nil {
		return nil
	}
	_, err := p.rpc.StopSource(ctx, &pb.Empty{})
	if err = t.sup.interpret(ctx, p, err); errors.Is(err, errCrashed) {
		return nil
	}
	return err
}
