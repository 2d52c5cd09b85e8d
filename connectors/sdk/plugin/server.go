package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"

	"github.com/freshet-dev/freshet/connectors/sdk"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// server is the plugin end of the protocol. One process runs one connector
// instance or one task (the host starts a process for each), so the server
// holds at most one of each.
type server struct {
	pb.UnimplementedPluginServer
	plugins map[string]sdk.Plugin
	order   []string

	mu     sync.Mutex // serializes calls to the connector and the task
	conn   sdk.Connector
	sink   sdk.SinkTask
	source sdk.SourceTask
	life   context.Context // the lifetime of the connector or task, from Start to Stop
	end    context.CancelFunc
	batch  []sdk.Record // Put's batch, reused as the worker reuses its own
	shared []byte       // the host's shared memory region (version 2), read-only; nil without one
	borrow bool         // the sink task is an sdk.RecordBorrower: Put's records may point into shared
	enc    pb.Encoder
	dec    pb.Decoder
}

func newServer(plugins []sdk.Plugin) (*server, error) {
	s := &server{plugins: map[string]sdk.Plugin{}}
	if len(plugins) == 0 {
		return nil, errors.New("serve: no plugins given")
	}
	for _, p := range plugins {
		switch {
		case p.Name == "":
			return nil, errors.New("serve: a plugin has no name")
		case p.New == nil:
			return nil, fmt.Errorf("serve %s: no constructor (New)", p.Name)
		case p.Kind != sdk.KindSink && p.Kind != sdk.KindSource:
			return nil, fmt.Errorf("serve %s: kind %q is neither source nor sink", p.Name, p.Kind)
		}
		if _, dup := s.plugins[p.Name]; dup {
			return nil, fmt.Errorf("serve: two plugins are named %s", p.Name)
		}
		s.plugins[p.Name] = p
		s.order = append(s.order, p.Name)
	}
	return s, nil
}

func (s *server) lookup(name string) (sdk.Plugin, error) {
	p, ok := s.plugins[name]
	if !ok {
		return p, pb.Status(sdk.Fatal(fmt.Errorf("this plugin executable has no connector named %q (it has %v)", name, s.order)))
	}
	return p, nil
}

// call runs f with panics recovered into fatal errors, as the worker does at
// the task boundary, and returns its error as a gRPC status.
func call(op string, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = sdk.Fatal(fmt.Errorf("panic in %s: %v\n%s", op, v, debug.Stack()))
		}
		err = pb.Status(err)
	}()
	return f()
}

// begin makes the lifetime context of what Start starts: it outlives the
// Start call, as the worker's task context does, and ends at Stop. While
// Start runs, cancelling the call cancels it too.
func (s *server) begin(call context.Context) (context.Context, func()) {
	if s.end != nil {
		s.end()
	}
	s.life, s.end = context.WithCancel(context.Background())
	stop := context.AfterFunc(call, s.end)
	return s.life, func() { stop() }
}

func (s *server) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end != nil {
		s.end()
	}
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	out := &pb.DescribeResponse{}
	for _, name := range s.order {
		out.Connectors = append(out.Connectors, pb.Describe(s.plugins[name]))
	}
	return out, nil
}

func (s *server) Validate(ctx context.Context, req *pb.ValidateRequest) (*pb.ValidateResponse, error) {
	p, err := s.lookup(req.Connector)
	if err != nil {
		return nil, err
	}
	var out *pb.ValidateResponse
	err = call("validate", func() error {
		var extra map[string][]string
		if v, ok := p.New().(sdk.Validator); ok {
			extra = v.Validate(ctx, req.Config)
		}
		out = &pb.ValidateResponse{Problems: pb.Problems(pb.ValidationProblems(p.Config, req.Config, extra))}
		return nil
	})
	return out, err
}

func (s *server) StartConnector(ctx context.Context, req *pb.StartConnectorRequest) (*pb.Empty, error) {
	p, err := s.lookup(req.Connector)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return &pb.Empty{}, call("start connector", func() error {
		s.conn = p.New()
		life, done := s.begin(ctx)
		defer done()
		return s.conn.Start(life, req.Config)
	})
}

func (s *server) TaskConfigs(ctx context.Context, req *pb.TaskConfigsRequest) (*pb.TaskConfigsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &pb.TaskConfigsResponse{}
	return out, call("task configs", func() error {
		if s.conn == nil {
			return sdk.Fatal(errors.New("task configs: the connector is not started"))
		}
		cfgs, err := s.conn.TaskConfigs(int(req.MaxTasks))
		for _, c := range cfgs {
			out.Tasks = append(out.Tasks, &pb.TaskConfig{Config: c})
		}
		return err
	})
}

func (s *server) StopConnector(ctx context.Context, _ *pb.Empty) (*pb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &pb.Empty{}, call("stop connector", func() error {
		if s.conn == nil {
			return nil
		}
		defer s.end()
		return s.conn.Stop(ctx)
	})
}

func (s *server) StartSink(ctx context.Context, req *pb.StartTaskRequest) (*pb.Empty, error) {
	p, err := s.lookup(req.Connector)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return &pb.Empty{}, call("start", func() error {
		c, ok := p.New().(sdk.SinkConnector)
		if !ok {
			return sdk.Fatal(fmt.Errorf("connector %s is not a sink connector", p.Name))
		}
		s.sink = c.NewSinkTask()
		_, s.borrow = s.sink.(sdk.RecordBorrower)
		life, done := s.begin(ctx)
		defer done()
		return s.sink.Start(life, req.Config)
	})
}

// sinkTask returns the started sink task, or an error for the caller.
func (s *server) sinkTask() (sdk.SinkTask, error) {
	if s.sink == nil {
		return nil, sdk.Fatal(errors.New("the sink task is not started"))
	}
	return s.sink, nil
}

func (s *server) Open(ctx context.Context, req *pb.PartitionsRequest) (*pb.OffsetsMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &pb.OffsetsMessage{}
	return out, call("open", func() error {
		t, err := s.sinkTask()
		if err != nil {
			return err
		}
		offs, err := t.Open(ctx, pb.ToPartitions(req.Partitions))
		out.Offsets = pb.Offsets(offs)
		return err
	})
}

// Put receives a batch in chunks, decodes each as it arrives, and puts the
// whole batch into the task at once: the task sees the worker's batch.
func (s *server) Put(stream pb.Plugin_PutServer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batch = s.batch[:0]
	for {
		var chunk pb.RawBatch
		err := stream.RecvMsg(&chunk)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		data, err := s.chunkBytes(chunk.Data)
		if err != nil {
			return pb.Status(sdk.Fatal(fmt.Errorf("put: %w", err)))
		}
		if s.batch, err = s.dec.Decode(data, s.batch); err != nil {
			return pb.Status(sdk.Fatal(fmt.Errorf("decode batch: %w", err)))
		}
	}
	out := &pb.PutResponse{}
	err := call("put", func() error {
		t, err := s.sinkTask()
		if err != nil {
			return err
		}
		err = t.Put(stream.Context(), s.batch)
		var berr *sdk.BatchError
		if errors.As(err, &berr) {
			for i, rerr := range berr.Failed {
				out.Failed = append(out.Failed, &pb.RecordError{Index: uint32(i), Error: pb.EncodeError(rerr)})
			}
			return nil
		}
		return err
	})
	clear(s.batch) // let the records go; keep the capacity
	if err != nil {
		return err
	}
	return stream.SendAndClose(out)
}

// chunkBytes returns the bytes of a Put chunk: the chunk itself, or, for a
// reference to the shared region, the bytes it locates. Those are copied
// unless the task borrows records: the decoded records alias them, and the
// host writes the region again once this Put has returned.
func (s *server) chunkBytes(chunk []byte) ([]byte, error) {
	off, n, ok, err := pb.ParseSharedRef(chunk)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return chunk, nil
	case s.shared == nil:
		return nil, errors.New("the host sent a chunk in shared memory, and this process has no shared region")
	case off+n > len(s.shared):
		return nil, fmt.Errorf("a shared chunk (%d bytes at %d) lies outside the %d-byte region", n, off, len(s.shared))
	}
	if s.borrow {
		return s.shared[off : off+n : off+n], nil
	}
	return bytes.Clone(s.shared[off : off+n]), nil
}

func (s *server) Flush(ctx context.Context, req *pb.OffsetsMessage) (*pb.FlushResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &pb.FlushResponse{}
	return out, call("flush", func() error {
		t, err := s.sinkTask()
		if err != nil {
			return err
		}
		offs, err := t.Flush(ctx, pb.ToOffsets(req.Offsets))
		if offs == nil {
			out.UseRequested = true
		} else {
			out.Offsets = pb.Offsets(offs)
		}
		return err
	})
}

func (s *server) Close(ctx context.Context, req *pb.PartitionsRequest) (*pb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &pb.Empty{}, call("close", func() error {
		t, err := s.sinkTask()
		if err != nil {
			return err
		}
		return t.Close(ctx, pb.ToPartitions(req.Partitions))
	})
}

func (s *server) StopSink(ctx context.Context, _ *pb.Empty) (*pb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &pb.Empty{}, call("stop", func() error {
		if s.sink == nil {
			return nil
		}
		defer s.end()
		return s.sink.Stop(ctx)
	})
}

func (s *server) StartSource(stream pb.Plugin_StartSourceServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	req := first.GetStart()
	if req == nil {
		return pb.Status(sdk.Fatal(errors.New("start source: the first message must be the start request")))
	}
	p, err := s.lookup(req.Connector)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = call("start", func() error {
		c, ok := p.New().(sdk.SourceConnector)
		if !ok {
			return sdk.Fatal(fmt.Errorf("connector %s is not a source connector", p.Name))
		}
		s.source = c.NewSourceTask()
		life, done := s.begin(stream.Context())
		defer done()
		r := &offsetReader{stream: stream}
		defer r.close()
		return s.source.Start(life, req.Config, r)
	})
	if err != nil {
		return err
	}
	return stream.Send(&pb.StartSourceReply{Msg: &pb.StartSourceReply_Started{Started: &pb.Empty{}}})
}

// offsetReader asks the host for persisted positions, on the StartSource
// stream, while the task starts.
type offsetReader struct {
	mu     sync.Mutex
	stream pb.Plugin_StartSourceServer // nil once Start has returned
}

func (r *offsetReader) close() {
	r.mu.Lock()
	r.stream = nil
	r.mu.Unlock()
}

func (r *offsetReader) Offset(ctx context.Context, partition map[string]any) (map[string]any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream == nil {
		return nil, errors.New("read source offset: an isolated source task can read offsets only while it starts")
	}
	pv, err := pb.EncodeValue(partition)
	if err != nil {
		return nil, fmt.Errorf("read source offset: partition: %w", err)
	}
	if err := r.stream.Send(&pb.StartSourceReply{Msg: &pb.StartSourceReply_Offset{Offset: &pb.OffsetQuestion{Partition: pv}}}); err != nil {
		return nil, sdk.Retriable(fmt.Errorf("read source offset: %w", err))
	}
	ans, err := r.stream.Recv()
	if err != nil {
		return nil, sdk.Retriable(fmt.Errorf("read source offset: %w", err))
	}
	return pb.DecodeMap(ans.GetOffset().GetOffset())
}

func (s *server) sourceTask() (sdk.SourceTask, error) {
	if s.source == nil {
		return nil, sdk.Fatal(errors.New("the source task is not started"))
	}
	return s.source, nil
}

func (s *server) Poll(_ *pb.Empty, stream pb.Plugin_PollServer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []sdk.Record
	err := call("poll", func() error {
		t, err := s.sourceTask()
		if err != nil {
			return err
		}
		recs, err = t.Poll(stream.Context())
		return err
	})
	if err != nil {
		return err
	}
	send := func(chunk *pb.RawBatch) error { return stream.SendMsg(chunk) }
	if err := s.enc.EncodeChunks(recs, send); err != nil {
		if _, isStatus := pb.FromStatus(err); isStatus {
			return err
		}
		return pb.Status(sdk.Fatal(fmt.Errorf("poll: encode records: %w", err)))
	}
	return nil
}

func (s *server) Commit(ctx context.Context, req *pb.CommitRequest) (*pb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &pb.Empty{}, call("commit", func() error {
		t, err := s.sourceTask()
		if err != nil {
			return err
		}
		ps := make([]sdk.Position, len(req.Positions))
		for i, m := range req.Positions {
			if ps[i].Partition, err = pb.DecodeMap(m.Partition); err != nil {
				return sdk.Fatal(fmt.Errorf("commit: position %d: %w", i, err))
			}
			if ps[i].Offset, err = pb.DecodeMap(m.Offset); err != nil {
				return sdk.Fatal(fmt.Errorf("commit: position %d: %w", i, err))
			}
		}
		return t.Commit(ctx, ps)
	})
}

func (s *server) StopSource(ctx context.Context, _ *pb.Empty) (*pb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &pb.Empty{}, call("stop", func() error {
		if s.source == nil {
			return nil
		}
		defer s.end()
		return s.source.Stop(ctx)
	})
}
