package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"go.uber.org/goleak"
	"google.golang.org/grpc"

	"github.com/freshet-dev/freshet/connectors/datagen"
	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/connectors/sdk/plugin"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
	"github.com/freshet-dev/freshet/runtime/plugin/host"
)

// servePluginEnv makes the test binary a plugin: TestMain serves the test
// plugin it names instead of running the tests, so that the host starts
// real processes without a build step.
const servePluginEnv = "FRESHET_TEST_PLUGIN"

func TestMain(m *testing.M) {
	if name := os.Getenv(servePluginEnv); name != "" {
		serveTestPlugin(name)
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

func testPlugins() []sdk.Plugin {
	return []sdk.Plugin{file.SinkPlugin(), file.SourcePlugin(), datagen.Plugin(), bufferedSink(), faultSink()}
}

func serveTestPlugin(name string) {
	if name == "version-99" {
		goplugin.Serve(&goplugin.ServeConfig{
			HandshakeConfig:  goplugin.HandshakeConfig{MagicCookieKey: pb.MagicCookieKey, MagicCookieValue: pb.MagicCookieValue},
			VersionedPlugins: map[int]goplugin.PluginSet{99: {pb.PluginName: nothing{}}},
			GRPCServer:       goplugin.DefaultGRPCServer,
		})
		return
	}
	for _, p := range testPlugins() {
		if p.Name == name {
			plugin.Serve(p)
			return
		}
	}
	fmt.Fprintf(os.Stderr, "no test plugin %q\n", name)
	os.Exit(3)
}

// nothing is a gRPC plugin that serves nothing, for a plugin speaking an
// unknown protocol version.
type nothing struct {
	goplugin.NetRPCUnsupportedPlugin
}

func (nothing) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error { return nil }
func (nothing) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

// self is the command that runs this test binary as the named test plugin.
func self(t testing.TB, name string) host.Command {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return host.Command{Path: exe, Env: []string{servePluginEnv + "=" + name}}
}

// bufferedSink holds what Put gives it in memory and appends it to a file,
// as "topic/partition/offset" lines, only on Flush: a sink whose crash loses
// records unless the runtime rewinds. Start writes the process id to
// pid.file, so that tests can kill it.
func bufferedSink() sdk.Plugin {
	return sdk.Plugin{
		Name: "buffered-sink", Version: "1.0", Kind: sdk.KindSink,
		Config: sdk.NewConfigDef().
			String("file", sdk.Required, "output file").
			String("pid.file", "", "where Start writes the process id"),
		New: func() sdk.Connector { return &testConnector{task: func() any { return &bufferedTask{} }} },
	}
}

type testConnector struct {
	cfg  map[string]string
	task func() any
}

func (c *testConnector) Start(_ context.Context, cfg map[string]string) error {
	c.cfg = cfg
	return nil
}

func (c *testConnector) TaskConfigs(max int) ([]map[string]string, error) {
	out := make([]map[string]string, max)
	for i := range out {
		out[i] = map[string]string{"task": strconv.Itoa(i)}
		for k, v := range c.cfg {
			out[i][k] = v
		}
	}
	return out, nil
}

func (c *testConnector) Stop(context.Context) error { return nil }
func (c *testConnector) NewSinkTask() sdk.SinkTask  { return c.task().(sdk.SinkTask) }

type bufferedTask struct {
	file string
	buf  []string
}

func (t *bufferedTask) Start(_ context.Context, cfg map[string]string) error {
	t.file = cfg["file"]
	if f := cfg["pid.file"]; f != "" {
		return os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())), 0o644)
	}
	return nil
}

func (t *bufferedTask) Open(context.Context, []sdk.TopicPartition) (sdk.Offsets, error) {
	return nil, nil
}

func (t *bufferedTask) Put(_ context.Context, batch []sdk.Record) error {
	for _, r := range batch {
		t.buf = append(t.buf, fmt.Sprintf("%s/%d/%d", r.Topic, r.Partition, r.Offset))
	}
	return nil
}

func (t *bufferedTask) Flush(_ context.Context, offsets sdk.Offsets) (sdk.Offsets, error) {
	f, err := os.OpenFile(t.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, sdk.Retriable(err)
	}
	defer f.Close()
	if len(t.buf) > 0 {
		if _, err := f.WriteString(strings.Join(t.buf, "\n") + "\n"); err != nil {
			return nil, sdk.Retriable(err)
		}
	}
	t.buf = t.buf[:0]
	return offsets, f.Sync()
}

func (t *bufferedTask) Close(context.Context, []sdk.TopicPartition) error { return nil }
func (t *bufferedTask) Stop(context.Context) error                        { return nil }

// faultSink fails as its records' values say: "retriable", "record" and
// "fatal" fail that record with that class; "batch" fails the whole Put
// (retriable, wrapped twice, with a cause); "reset" returns
// sdk.ErrTaskReset; "panic" panics in Put; "crash" panics on another
// goroutine, which kills the process; "exit" exits with status 7.
func faultSink() sdk.Plugin {
	return sdk.Plugin{
		Name: "fault-sink", Version: "2.1", Kind: sdk.KindSink, Doc: "fails on request",
		Config: sdk.NewConfigDef().
			Int("level", 1, "a number from 1 to 3", sdk.Check(sdk.Between(1, 3))).
			List("tags", []string{"a", "b"}, "a list").
			String("needed", sdk.Required, "a required key"),
		New: func() sdk.Connector { return &faultConnector{testConnector{task: func() any { return &faultTask{} }}} },
	}
}

type faultConnector struct{ testConnector }

// Validate reports a rule the config definition cannot express.
func (c *faultConnector) Validate(_ context.Context, cfg map[string]string) map[string][]string {
	if cfg["needed"] == "forbidden" {
		return map[string][]string{"needed": {"must not be forbidden"}}
	}
	return nil
}

type faultTask struct {
	mu  sync.Mutex
	put int
}

var errDisk = errors.New("disk on fire")

func (t *faultTask) Start(_ context.Context, cfg map[string]string) error {
	if cfg["needed"] == "" {
		return sdk.Fatal(&sdk.ConfigError{Key: "needed", Message: "is missing"})
	}
	return nil
}

func (t *faultTask) Open(context.Context, []sdk.TopicPartition) (sdk.Offsets, error) {
	return sdk.Offsets{{Topic: "stored", Partition: 1}: 42}, nil
}

func (t *faultTask) Put(_ context.Context, batch []sdk.Record) error {
	t.mu.Lock()
	t.put += len(batch)
	t.mu.Unlock()
	berr := sdk.NewBatchError()
	for i, r := range batch {
		switch r.Value {
		case "retriable":
			berr.Fail(i, sdk.Retriable(fmt.Errorf("write record %d: %w", i, errDisk)))
		case "record":
			berr.Fail(i, sdk.RecordErr(errors.New("mapping conflict")))
		case "fatal":
			berr.Fail(i, sdk.Fatal(errors.New("bad credentials")))
		case "batch":
			return fmt.Errorf("put: %w", sdk.Retriable(fmt.Errorf("bulk request: %w", errDisk)))
		case "reset":
			return sdk.Retriable(fmt.Errorf("connection lost: %w", sdk.ErrTaskReset))
		case "panic":
			panic("boom in put")
		case "crash":
			go func() { panic("disk on fire") }()
			time.Sleep(time.Minute)
		case "exit":
			fmt.Fprintln(os.NewFile(2, "stderr"), "giving up")
			os.Exit(7)
		}
	}
	return berr.Err()
}

func (t *faultTask) Flush(_ context.Context, offsets sdk.Offsets) (sdk.Offsets, error) {
	if len(offsets) == 0 {
		return sdk.Offsets{}, nil
	}
	out := sdk.Offsets{}
	for tp, off := range offsets {
		out[tp] = off - 1 // holds the last record back
	}
	return out, nil
}

func (t *faultTask) Close(context.Context, []sdk.TopicPartition) error { return nil }
func (t *faultTask) Stop(context.Context) error                        { return nil }
