package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// Command is how to start a plugin executable.
type Command struct {
	Path string
	Args []string
	// Env is added to the worker's environment.
	Env []string
	// Verify makes the host check Path against plugin.checksums before each
	// start. Discovered executables are verified; the worker's own
	// executable (Isolate) is not.
	Verify bool
}

func (c Command) String() string { return strings.Join(append([]string{c.Path}, c.Args...), " ") }

// protocols are the connector protocol versions this host speaks, by
// version. A newer protocol is added here beside the old ones, so that
// plugins built against an older sdk keep running.
// The versions dispense the same client: version 2 only adds Put chunks
// in shared memory, which the host sends when it has negotiated 2, and 3
// packed records in them, sent when it has negotiated 3.
var protocols = map[int]goplugin.PluginSet{
	1: {pb.PluginName: &clientPlugin{}},
	2: {pb.PluginName: &clientPlugin{}},
	3: {pb.PluginName: &clientPlugin{}},
}

func supportedVersions() []int {
	var v []int
	for k := range protocols {
		v = append(v, k)
	}
	slices.Sort(v)
	return v
}

// clientPlugin dials the connector service (goplugin.GRPCPlugin).
type clientPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
}

func (clientPlugin) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error {
	return errors.New("the host dials; plugins serve")
}

func (clientPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewPluginClient(c), nil
}

// process is one running plugin process.
type process struct {
	name   string // the connector it runs, for messages
	client *goplugin.Client
	run    *procRunner
	rpc    pb.PluginClient
	tail   *tail
	lines  int

	// mem is the shared memory region for Put chunks, mapped until the
	// process stops; shared is mem while Put may use it: when the process
	// speaks protocol version 2 and no Put has failed half way.
	mem    []byte
	shared []byte
	// packed: the process reads packed records (protocol version 3).
	packed bool
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.run.done:
		return true
	default:
		return false
	}
}

// exitError describes how the process ended; call it once exited is true.
func (p *process) exitError() *ExitError {
	return &ExitError{Plugin: p.name, Status: p.run.status, Output: p.tail.last(p.lines)}
}

// stop ends the process: go-plugin asks it to shut down, and kills it if
// it has not within two seconds. It waits for the process's goroutines.
func (p *process) stop() {
	p.client.Kill()
	p.unmap()
}

// kill ends the process at once.
func (p *process) kill() {
	_ = p.run.Kill(context.Background())
	p.client.Kill()
	p.unmap()
}

// unmap releases the shared region. The process is used by one goroutine
// at a time, so no Put is writing to it.
func (p *process) unmap() {
	if p.mem != nil {
		unmapShared(p.mem)
		p.mem, p.shared = nil, nil
	}
}

// launch starts cmd and connects to its connector service. name is the
// connector, for logs and messages.
func (h *Host) launch(ctx context.Context, name string, cmd Command) (*process, error) {
	if cmd.Verify {
		if err := verify(h.opts.checksums, cmd.Path); err != nil {
			return nil, err
		}
	}
	log := h.log.With(zap.String("plugin", name))
	t := &tail{}
	p := &process{name: name, tail: t, lines: h.opts.tailLines}
	tlsConfig, certPEM, err := clientTLS()
	if err != nil {
		return nil, err
	}
	ec := exec.Command(cmd.Path, cmd.Args...)
	ec.Env = append(append(os.Environ(), cmd.Env...), "PLUGIN_CLIENT_CERT="+certPEM)
	// The shared region goes to the process as its descriptor 3. A process
	// that speaks only version 1 ignores it.
	memFile, mem, err := newShared(sharedBytes)
	if err != nil {
		log.Warn("plugin runs without shared memory", zap.Error(err))
	}
	if memFile != nil {
		defer memFile.Close() // the process has its own copy once started
		ec.ExtraFiles = []*os.File{memFile}
		ec.Env = append(ec.Env, fmt.Sprintf("%s=3:%d", pb.SharedMemoryEnv, len(mem)))
	}
	var run atomic.Pointer[procRunner] // set by go-plugin's start, on another goroutine
	p.client = goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  pb.MinProtocolVersion,
			MagicCookieKey:   pb.MagicCookieKey,
			MagicCookieValue: pb.MagicCookieValue,
		},
		VersionedPlugins: protocols,
		RunnerFunc: func(_ hclog.Logger, c *exec.Cmd, _ string) (runner.Runner, error) {
			// c carries go-plugin's variables (handshake, mTLS certificate,
			// socket directory) in its environment, and nothing else.
			ec.Env = append(ec.Env, c.Env...)
			r, err := newRunner(ec, newLineLog(log, "stdout", t))
			run.Store(r)
			return r, err
		},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		TLSConfig:        tlsConfig, // go-plugin's AutoMTLS protocol, done by clientTLS
		StartTimeout:     h.opts.startTimeout,
		SkipHostEnv:      true, // ec.Env has it already
		Stderr:           newLineLog(log, "stderr", t),
		SyncStdout:       newLineLog(log, "stdout", t),
		SyncStderr:       newLineLog(log, "stderr", t),
		Logger:           hclog.NewNullLogger(),
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(pb.MaxMessageBytes), grpc.MaxCallSendMsgSize(pb.MaxMessageBytes),
				grpc.ForceCodecV2(pb.Codec{})),
			grpc.WithInitialWindowSize(windowBytes),
			grpc.WithInitialConnWindowSize(windowBytes),
			grpc.WithReadBufferSize(bufferBytes),
			grpc.WithWriteBufferSize(bufferBytes),
		},
	})
	started := make(chan error, 1)
	go func() { started <- p.connect() }()
	select {
	case err = <-started:
	case <-ctx.Done():
		if r := run.Load(); r != nil {
			_ = r.Kill(context.Background())
		}
		<-started
		err = ctx.Err()
	}
	if err != nil {
		p.client.Kill()
		if mem != nil {
			unmapShared(mem)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("start plugin %s: %w", cmd, ctx.Err())
		}
		return nil, p.startError(cmd, run.Load(), err)
	}
	p.run = run.Load()
	p.packed = p.client.NegotiatedVersion() >= 3
	if mem != nil {
		p.mem = mem
		if p.client.NegotiatedVersion() >= 2 {
			p.shared = mem
		}
	}
	log.Debug("plugin started", zap.Int("pid", p.run.Pid()), zap.Stringer("command", cmd))
	return p, nil
}

// connect runs go-plugin's handshake and dispenses the connector client.
func (p *process) connect() error {
	rpc, err := p.client.Client()
	if err != nil {
		return err
	}
	raw, err := rpc.Dispense(pb.PluginName)
	if err != nil {
		return err
	}
	p.rpc = raw.(pb.PluginClient)
	return nil
}

// startError explains a failed start: an unsupported protocol version, a
// process that died, or go-plugin's own message.
func (p *process) startError(cmd Command, run *procRunner, err error) error {
	if run == nil {
		return fmt.Errorf("start plugin %s: %w", cmd, err)
	}
	hs := run.Handshake()
	parts := strings.Split(hs, "|")
	switch {
	case hs == "":
		// Nothing on stdout: it died (or hung) before the handshake.
	case len(parts) < 4 || parts[0] != "1":
		return fmt.Errorf("start plugin %s: it printed %q where go-plugin's handshake line belongs; is it a Freshet connector plugin (plugin.Serve)?", cmd, hs)
	default:
		supported := supportedVersions()
		if !slices.ContainsFunc(supported, func(s int) bool { return fmt.Sprint(s) == parts[1] }) {
			return &VersionError{Binary: cmd.Path, Got: parts[1], Supported: supported}
		}
	}
	t := time.NewTimer(100 * time.Millisecond)
	defer t.Stop()
	select {
	case <-run.done:
		return fmt.Errorf("start plugin %s: %w", cmd, &ExitError{Plugin: p.name, Status: run.status, Output: p.tail.last(p.lines)})
	case <-t.C:
		return fmt.Errorf("start plugin %s: %w", cmd, err)
	}
}

// gRPC transport sizes: large windows and buffers let a batch stream at
// loopback speed instead of waiting on flow control.
const (
	windowBytes = 16 << 20
	bufferBytes = 256 << 10
)

// Shared memory sizes (protocol version 2): the region of each plugin
// process, and the chunk a batch is cut at in it. A batch that outgrows the
// region sends its remaining chunks inline. Memory is taken as a Put first
// writes it, so a process that never gets a large batch costs little.
const (
	sharedBytes      = 16 << 20
	sharedChunkBytes = 256 << 10
)
