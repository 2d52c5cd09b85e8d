package rest_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/plugin"
	"github.com/freshet-dev/freshet/runtime/rest"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// *herder.Herder is what the worker passes; it must satisfy rest.Herder.
var _ rest.Herder = (*herder.Herder)(nil)

// runner is a herder.Runner whose tasks start at once and do nothing: the
// herder under test is real, only the task loops are not.
type runner struct {
	mu      sync.Mutex
	h       *herder.Herder
	running map[worker.TaskID]bool
}

func (r *runner) StartTask(_ context.Context, id worker.TaskID, _ sdk.Plugin, _, _ map[string]string) error {
	r.mu.Lock()
	r.running[id] = true
	h := r.h
	r.mu.Unlock()
	h.OnTaskState(id, worker.StateRunning, nil)
	return nil
}

func (r *runner) StopTask(_ context.Context, id worker.TaskID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, id)
}

type identity struct{}

func (identity) Resolve(cfg map[string]string) (map[string]string, error) {
	return maps.Clone(cfg), nil
}

// groups is an in-memory herder.GroupOffsets.
type groups struct {
	mu sync.Mutex
	m  map[string]sdk.Offsets
}

func (g *groups) Fetch(_ context.Context, group string) (sdk.Offsets, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.m[group]), nil
}

func (g *groups) Commit(_ context.Context, group string, o sdk.Offsets) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m[group] == nil {
		g.m[group] = sdk.Offsets{}
	}
	maps.Copy(g.m[group], o)
	return nil
}

func (g *groups) Delete(_ context.Context, group string, tps []sdk.TopicPartition) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if tps == nil {
		delete(g.m, group)
	}
	for _, tp := range tps {
		delete(g.m[group], tp)
	}
	return nil
}

// secretPlugin is a sink with a PASSWORD key, for redaction tests.
func secretPlugin() sdk.Plugin {
	return sdk.Plugin{
		Name: "secret-sink", Aliases: []string{"com.example.SecretSinkConnector"}, Version: "1.2.3", Kind: sdk.KindSink,
		Config: sdk.NewConfigDef().
			String("connection.url", sdk.Required, "Where to connect").
			Password("connection.password", nil, "The password"),
		New: func() sdk.Connector { return &nopConnector{} },
	}
}

type nopConnector struct{}

func (*nopConnector) Start(context.Context, map[string]string) error { return nil }
func (*nopConnector) TaskConfigs(n int) ([]map[string]string, error) {
	out := make([]map[string]string, n)
	for i := range out {
		out[i] = map[string]string{"task": "x"}
	}
	return out, nil
}
func (*nopConnector) Stop(context.Context) error { return nil }
func (*nopConnector) NewSinkTask() sdk.SinkTask  { return nil }

// env is a started server over a real herder with in-memory stores.
type env struct {
	t      testing.TB
	srv    *rest.Server
	h      *herder.Herder
	levels *rest.Levels
	url    string
	client *http.Client
}

func newEnv(t testing.TB, opts ...rest.Option) *env {
	t.Helper()
	reg, err := plugin.NewRegistry(file.SinkPlugin(), file.SourcePlugin(), secretPlugin())
	if err != nil {
		t.Fatal(err)
	}
	levels := rest.NewLevels(zapcore.InfoLevel)
	log := zap.New(levels.Core(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.DebugLevel)))
	run := &runner{running: map[worker.TaskID]bool{}}
	h := herder.New("127.0.0.1:8083", store.NewMemoryConfigs(), reg, run, identity{}, log.Named("herder"))
	run.h = h
	h.UseOffsets(store.NewMemoryOffsets(), &groups{m: map[string]sdk.Offsets{}})
	opts = append([]rest.Option{rest.WithVersion("0.1.0-test"), rest.WithLoggers(levels), rest.WithWorkerID("127.0.0.1:8083")}, opts...)
	srv, err := rest.New(h, reg, log.Named("rest"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start([]string{"http://127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		h.Shutdown(ctx)
	})
	return &env{t: t, srv: srv, h: h, levels: levels, url: srv.URL(), client: client}
}

// do sends a request and returns status, headers and body.
func (e *env) do(method, path, body string, hdr ...string) (int, http.Header, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}
