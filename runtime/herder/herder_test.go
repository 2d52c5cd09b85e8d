package herder_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/plugin"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// fakeRunner records which tasks run, as the worker would.
type fakeRunner struct {
	mu      sync.Mutex
	running map[worker.TaskID]map[string]string
	failOn  string // a connector whose tasks fail to start
}

func (r *fakeRunner) StartTask(_ context.Context, id worker.TaskID, _ sdk.Plugin, _, taskCfg map[string]string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id.Connector == r.failOn {
		return errors.New("cannot reach the sink")
	}
	r.running[id] = taskCfg
	return nil
}

func (r *fakeRunner) StopTask(_ context.Context, id worker.TaskID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, id)
}

func (r *fakeRunner) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id := range r.running {
		out = append(out, id.String())
	}
	slices.Sort(out)
	return out
}

type noResolve struct{}

func (noResolve) Resolve(m map[string]string) (map[string]string, error) { return m, nil }

// splitter makes one task per item of its "items" key.
type splitter struct{ items []string }

func (s *splitter) Start(_ context.Context, cfg map[string]string) error {
	s.items = strings.Split(cfg["items"], ",")
	return nil
}
func (s *splitter) TaskConfigs(max int) ([]map[string]string, error) {
	var out []map[string]string
	for i, it := range s.items {
		if i == max {
			break
		}
		out = append(out, map[string]string{"item": it})
	}
	return out, nil
}
func (s *splitter) Stop(context.Context) error { return nil }
func (s *splitter) NewSinkTask() sdk.SinkTask  { return nil }

func setup(t *testing.T) (*herder.Herder, *fakeRunner, store.Configs) {
	t.Helper()
	reg, err := plugin.NewRegistry(sdk.Plugin{
		Name: "splitter", Aliases: []string{"com.example.SplitterSink"}, Kind: sdk.KindSink, Version: "1",
		Config: sdk.NewConfigDef().String("items", sdk.Required, "items to split"),
		New:    func() sdk.Connector { return &splitter{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	run := &fakeRunner{running: map[worker.TaskID]map[string]string{}}
	cfgs := store.NewMemoryConfigs()
	h := herder.New("w1", cfgs, reg, run, noResolve{}, zap.NewNop())
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h, run, cfgs
}

func conf(items string, tasks int) map[string]string {
	return map[string]string{"connector.class": "com.example.SplitterSink", "topics": "t", "items": items, "tasks.max": fmt.Sprint(tasks)}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	h, run, cfgs := setup(t)

	created, err := h.PutConnector(ctx, "s", conf("a,b,c", 2), "")
	if err != nil || !created {
		t.Fatalf("create: created=%v err=%v", created, err)
	}
	if got, want := run.ids(), []string{"s-0", "s-1"}; !slices.Equal(got, want) {
		t.Fatalf("running tasks %v, want %v (tasks.max=2 caps 3 items)", got, want)
	}
	c, _, _ := cfgs.Get(ctx, "s")
	if len(c.Tasks) != 2 || c.Tasks[1]["item"] != "b" {
		t.Fatalf("stored task configs %v", c.Tasks)
	}
	st, err := h.Status("s")
	if err != nil || st.State != worker.StateRunning || len(st.Tasks) != 2 || st.Kind != sdk.KindSink {
		t.Fatalf("status %+v, %v", st, err)
	}

	if err := h.SetTarget(ctx, "s", store.TargetPaused); err != nil {
		t.Fatal(err)
	}
	if got := run.ids(); len(got) != 0 {
		t.Fatalf("paused connector still runs %v", got)
	}
	st, _ = h.Status("s")
	if st.State != worker.StatePaused || st.Tasks[0].State != worker.StatePaused {
		t.Fatalf("paused status %+v", st)
	}
	if err := h.SetTarget(ctx, "s", store.TargetStarted); err != nil {
		t.Fatal(err)
	}
	if got := run.ids(); len(got) != 2 {
		t.Fatalf("resumed connector runs %v", got)
	}

	// Reconfigure: three tasks now.
	created, err = h.PutConnector(ctx, "s", conf("a,b,c", 3), "")
	if err != nil || created {
		t.Fatalf("update: created=%v err=%v", created, err)
	}
	if got := run.ids(); len(got) != 3 {
		t.Fatalf("after update runs %v", got)
	}

	// A task fails: its status carries the trace; restarting only failed tasks restarts it.
	h.OnTaskState(worker.TaskID{Connector: "s", Task: 1}, worker.StateFailed, fmt.Errorf("put: %w", errors.New("disk full")))
	st, _ = h.Status("s")
	if st.Tasks[1].State != worker.StateFailed || !strings.Contains(st.Tasks[1].Trace, "disk full") {
		t.Fatalf("failed task status %+v", st.Tasks[1])
	}
	if err := h.Restart(ctx, "s", herder.RestartOptions{IncludeTasks: true, OnlyFailed: true}); err != nil {
		t.Fatal(err)
	}
	st, _ = h.Status("s")
	if st.Tasks[1].State == worker.StateFailed {
		t.Fatalf("task still failed after restart: %+v", st.Tasks[1])
	}

	if err := h.DeleteConnector(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if got := run.ids(); len(got) != 0 {
		t.Fatalf("deleted connector still runs %v", got)
	}
	if _, err := h.Status("s"); !errors.Is(err, herder.ErrNotFound) {
		t.Fatalf("status of deleted connector: %v, want ErrNotFound", err)
	}
	if err := h.DeleteConnector(ctx, "s"); !errors.Is(err, herder.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
}

func TestInvalidConfigsAreRefusedWithTheKeyNamed(t *testing.T) {
	ctx := context.Background()
	h, run, cfgs := setup(t)
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want []string
	}{
		{"unknown class", map[string]string{"connector.class": "com.example.Nope"}, []string{"connector.class", "splitter"}},
		{"missing required key", map[string]string{"connector.class": "splitter", "topics": "t"}, []string{"items"}},
		{"bad tasks.max", map[string]string{"connector.class": "splitter", "items": "a", "tasks.max": "zero"}, []string{"tasks.max", "INT"}},
		{"bad tolerance", map[string]string{"connector.class": "splitter", "items": "a", "errors.tolerance": "some"}, []string{"errors.tolerance", "all, none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.PutConnector(ctx, "bad", tc.cfg, "")
			if !errors.Is(err, herder.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := h.PutConnector(ctx, "x", map[string]string{"name": "y", "connector.class": "splitter", "items": "a"}, ""); !errors.Is(err, herder.ErrInvalidConfig) {
		t.Errorf("name mismatch: %v", err)
	}
	if cs, _ := cfgs.List(ctx); len(cs) != 0 || len(run.ids()) != 0 {
		t.Errorf("invalid configs left state behind: %v, running %v", cs, run.ids())
	}
}

func TestTaskStartFailureShowsInStatus(t *testing.T) {
	ctx := context.Background()
	h, run, _ := setup(t)
	run.failOn = "s"
	if _, err := h.PutConnector(ctx, "s", conf("a", 1), ""); err != nil {
		t.Fatal(err)
	}
	st, _ := h.Status("s")
	if len(st.Tasks) != 1 || st.Tasks[0].State != worker.StateFailed || !strings.Contains(st.Tasks[0].Trace, "cannot reach the sink") {
		t.Fatalf("status %+v", st)
	}
}

func TestStartRestoresStoredConnectors(t *testing.T) {
	ctx := context.Background()
	h, _, cfgs := setup(t)
	if _, err := h.PutConnector(ctx, "on", conf("a", 1), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.PutConnector(ctx, "off", conf("a", 1), store.TargetStopped); err != nil {
		t.Fatal(err)
	}
	// A new herder on the same store: the process restarted.
	reg, _ := plugin.NewRegistry(sdk.Plugin{Name: "splitter", Aliases: []string{"com.example.SplitterSink"}, Kind: sdk.KindSink,
		Config: sdk.NewConfigDef().String("items", sdk.Required, ""), New: func() sdk.Connector { return &splitter{} }})
	run := &fakeRunner{running: map[worker.TaskID]map[string]string{}}
	h2 := herder.New("w1", cfgs, reg, run, noResolve{}, zap.NewNop())
	if err := h2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := run.ids(); !slices.Equal(got, []string{"on-0"}) {
		t.Fatalf("after restart running %v, want only on-0", got)
	}
	if st, _ := h2.Status("off"); st.State != worker.StateStopped {
		t.Fatalf("stopped connector state %v", st.State)
	}
	_ = h
}
