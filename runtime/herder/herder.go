package herder

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/plugin"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// Runner runs tasks; *worker.Worker is one.
type Runner interface {
	StartTask(ctx context.Context, id worker.TaskID, p sdk.Plugin, connCfg, taskCfg map[string]string) error
	StopTask(ctx context.Context, id worker.TaskID)
}

// Resolver resolves config-provider references (${env:…}, ${file:…}).
type Resolver interface {
	Resolve(cfg map[string]string) (map[string]string, error)
}

// Herder manages the connectors of one standalone worker.
type Herder struct {
	workerID string
	configs  store.Configs
	plugins  *plugin.Registry
	run      Runner
	resolve  Resolver
	log      *zap.Logger

	// isolate may swap a plugin for one that runs in its own process
	// (plugin.isolation=process); nil runs every plugin as registered.
	isolate func(p sdk.Plugin, cfg map[string]string) sdk.Plugin

	ops sync.Mutex // serialises lifecycle operations

	mu       sync.Mutex
	statuses map[string]*connStatus
	live     map[string]sdk.Connector // started connector instances

	ext extensions // offsets and topic tracking (extensions.go)

	// onStatus, when set, is told every status change (task -1: the
	// connector); the distributed herder publishes them. It is called
	// without locks held.
	onStatus func(name string, task int, s worker.State, trace string)
}

type connStatus struct {
	kind  sdk.Kind
	state worker.State
	trace string
	tasks map[int]*TaskStatus
}

// New returns a herder. Call Start to bring up the stored connectors.
func New(workerID string, configs store.Configs, plugins *plugin.Registry, run Runner, resolve Resolver, log *zap.Logger) *Herder {
	return &Herder{
		workerID: workerID, configs: configs, plugins: plugins, run: run, resolve: resolve, log: log,
		statuses: map[string]*connStatus{}, live: map[string]sdk.Connector{},
	}
}

// UseIsolation sets how a connector's plugin is chosen to run: f returns the
// plugin itself, or one that runs it as an isolated process. Call before Start.
func (h *Herder) UseIsolation(f func(p sdk.Plugin, cfg map[string]string) sdk.Plugin) { h.isolate = f }

// pluginFor is the plugin a stored config runs with.
func (h *Herder) pluginFor(cfg map[string]string) (sdk.Plugin, error) {
	p, err := h.plugins.Lookup(cfg[worker.KeyConnectorClass])
	if err != nil || h.isolate == nil {
		return p, err
	}
	return h.isolate(p, cfg), nil
}

// Start brings every stored connector to its target state.
func (h *Herder) Start(ctx context.Context) error {
	h.ops.Lock()
	defer h.ops.Unlock()
	cs, err := h.configs.List(ctx)
	if err != nil {
		return fmt.Errorf("load connector configs: %w", err)
	}
	for _, c := range cs {
		h.apply(ctx, c)
	}
	return nil
}

// Shutdown stops every connector and task, keeping their target states.
func (h *Herder) Shutdown(ctx context.Context) {
	h.ops.Lock()
	defer h.ops.Unlock()
	h.mu.Lock()
	names := make([]string, 0, len(h.statuses))
	for n := range h.statuses {
		names = append(names, n)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.halt(ctx, n, worker.StateUnassigned)
		}()
	}
	wg.Wait()
}

// Connectors returns the connector names, sorted.
func (h *Herder) Connectors(ctx context.Context) ([]string, error) {
	cs, err := h.configs.List(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names, nil
}

// Info is a connector's config, tasks and type: GET /connectors/{name}.
type Info struct {
	Name   string
	Config map[string]string // as stored; secrets are the caller's to redact
	Tasks  []worker.TaskID
	Kind   sdk.Kind
	Target store.TargetState
	// TaskConfigs are the stored task configs.
	TaskConfigs []map[string]string
}

// Connector returns a connector's info.
func (h *Herder) Connector(ctx context.Context, name string) (Info, error) {
	c, ok, err := h.configs.Get(ctx, name)
	if err != nil {
		return Info{}, err
	}
	if !ok {
		return Info{}, fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	info := Info{Name: name, Config: c.Config, Target: c.Target, TaskConfigs: c.Tasks}
	if p, err := h.plugins.Lookup(c.Config[worker.KeyConnectorClass]); err == nil {
		info.Kind = p.Kind
	}
	for i := range c.Tasks {
		info.Tasks = append(info.Tasks, worker.TaskID{Connector: name, Task: i})
	}
	return info, nil
}

// Plugin returns the plugin a config names, or an ErrInvalidConfig error
// naming the available plugins.
func (h *Herder) Plugin(cfg map[string]string) (sdk.Plugin, error) {
	p, err := h.plugins.Lookup(cfg[worker.KeyConnectorClass])
	if err != nil {
		return p, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, worker.KeyConnectorClass, err)
	}
	return p, nil
}

// Validate checks a connector config against the common keys and the
// plugin's definition, and returns every problem at once.
func (h *Herder) Validate(ctx context.Context, cfg map[string]string) error {
	p, err := h.Plugin(cfg)
	if err != nil {
		return err
	}
	def := worker.CommonDef().Merge(p.Config)
	_, err = def.Parse(cfg)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, kindRules(p.Kind, cfg)...)
	if v, ok := p.New().(sdk.Validator); ok {
		resolved, rerr := h.resolve.Resolve(cfg)
		if rerr != nil {
			errs = append(errs, rerr)
		} else {
			for key, msgs := range v.Validate(ctx, resolved) {
				for _, m := range msgs {
					errs = append(errs, &sdk.ConfigError{Key: key, Message: m})
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return nil
}

// PutConnector creates or replaces a connector's config and (re)starts it.
// It reports whether the connector was created.
func (h *Herder) PutConnector(ctx context.Context, name string, cfg map[string]string, target store.TargetState) (bool, error) {
	cfg = maps.Clone(cfg)
	if cfg[worker.KeyName] == "" {
		cfg[worker.KeyName] = name
	}
	if cfg[worker.KeyName] != name {
		return false, fmt.Errorf("%w: connector name %q in the config does not match %q", ErrInvalidConfig, cfg[worker.KeyName], name)
	}
	if err := h.Validate(ctx, cfg); err != nil {
		return false, err
	}
	h.ops.Lock()
	defer h.ops.Unlock()
	old, exists, err := h.configs.Get(ctx, name)
	if err != nil {
		return false, err
	}
	c := store.Connector{Name: name, Config: cfg, Target: target}
	if exists {
		c.Target = old.Target
		if target != "" && target != old.Target {
			c.Target = target
		}
		h.halt(ctx, name, worker.StateUnassigned)
	}
	if c.Target == "" {
		c.Target = store.TargetStarted
	}
	if err := h.configs.Put(ctx, c); err != nil {
		return false, fmt.Errorf("store config of %s: %w", name, err)
	}
	h.log.Info("connector config stored", zap.String("connector", name), zap.Bool("created", !exists))
	h.apply(ctx, c)
	return !exists, nil
}

// DeleteConnector stops and removes a connector.
func (h *Herder) DeleteConnector(ctx context.Context, name string) error {
	h.ops.Lock()
	defer h.ops.Unlock()
	if _, ok, err := h.configs.Get(ctx, name); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	h.halt(ctx, name, worker.StateUnassigned)
	if err := h.configs.Delete(ctx, name); err != nil {
		return err
	}
	h.mu.Lock()
	delete(h.statuses, name)
	h.mu.Unlock()
	h.forgetTopics(name)
	h.log.Info("connector deleted", zap.String("connector", name))
	return nil
}

// SetTarget pauses, resumes or stops a connector.
func (h *Herder) SetTarget(ctx context.Context, name string, target store.TargetState) error {
	h.ops.Lock()
	defer h.ops.Unlock()
	c, ok, err := h.configs.Get(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	if c.Target == target {
		return nil
	}
	c.Target = target
	if err := h.configs.Put(ctx, c); err != nil {
		return err
	}
	h.halt(ctx, name, worker.StateUnassigned)
	h.apply(ctx, c)
	return nil
}

// RestartOptions are the query parameters of POST /connectors/{name}/restart.
type RestartOptions struct {
	IncludeTasks bool
	OnlyFailed   bool
}

// Restart restarts a connector and, if asked, its tasks (only failed ones
// with OnlyFailed).
func (h *Herder) Restart(ctx context.Context, name string, opt RestartOptions) error {
	h.ops.Lock()
	defer h.ops.Unlock()
	c, ok, err := h.configs.Get(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	st, _ := h.Status(name)
	connFailed := st.State == worker.StateFailed
	if !opt.IncludeTasks {
		if opt.OnlyFailed && !connFailed {
			return nil
		}
		h.restartConnectorOnly(ctx, c)
		return nil
	}
	restartAll := !opt.OnlyFailed
	if restartAll || connFailed {
		h.halt(ctx, name, worker.StateRestarting)
		h.apply(ctx, c)
		return nil
	}
	for _, ts := range st.Tasks {
		if ts.State == worker.StateFailed {
			h.restartTask(ctx, c, ts.ID)
		}
	}
	return nil
}

// RestartTask restarts one task.
func (h *Herder) RestartTask(ctx context.Context, id worker.TaskID) error {
	h.ops.Lock()
	defer h.ops.Unlock()
	c, ok, err := h.configs.Get(ctx, id.Connector)
	if err != nil {
		return err
	}
	if !ok || id.Task < 0 || id.Task >= len(c.Tasks) {
		return fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	h.restartTask(ctx, c, id.Task)
	return nil
}

func (h *Herder) restartTask(ctx context.Context, c store.Connector, task int) {
	id := worker.TaskID{Connector: c.Name, Task: task}
	h.run.StopTask(ctx, id)
	if c.Target != store.TargetStarted {
		return
	}
	h.startTask(ctx, c, task)
}

func (h *Herder) restartConnectorOnly(ctx context.Context, c store.Connector) {
	h.mu.Lock()
	conn := h.live[c.Name]
	delete(h.live, c.Name)
	h.mu.Unlock()
	if conn != nil {
		_ = conn.Stop(ctx)
	}
	if c.Target == store.TargetStarted {
		if _, err := h.startConnector(ctx, c); err != nil {
			h.connectorFailed(c.Name, err)
		}
	}
}

// apply brings one connector to its target state. Failures are recorded in
// its status, not returned: the REST call that stored the config succeeded.
func (h *Herder) apply(ctx context.Context, c store.Connector) {
	p, err := h.plugins.Lookup(c.Config[worker.KeyConnectorClass])
	h.mu.Lock()
	st := &connStatus{kind: p.Kind, state: worker.StateUnassigned, tasks: map[int]*TaskStatus{}}
	h.statuses[c.Name] = st
	h.mu.Unlock()
	if err != nil {
		h.connectorFailed(c.Name, err)
		return
	}
	switch c.Target {
	case store.TargetStopped:
		h.setConnector(c.Name, worker.StateStopped, "")
		return
	case store.TargetPaused:
		h.setConnector(c.Name, worker.StatePaused, "")
		for i := range c.Tasks {
			h.setTask(worker.TaskID{Connector: c.Name, Task: i}, worker.StatePaused, "")
		}
		return
	}
	taskCfgs, err := h.startConnector(ctx, c)
	if err != nil {
		h.connectorFailed(c.Name, err)
		return
	}
	if !slices.EqualFunc(taskCfgs, c.Tasks, maps.Equal[map[string]string]) {
		c.Tasks = taskCfgs
		if err := h.configs.Put(ctx, c); err != nil {
			h.connectorFailed(c.Name, fmt.Errorf("store task configs: %w", err))
			return
		}
	}
	for i := range c.Tasks {
		h.startTask(ctx, c, i)
	}
}

// startConnector starts the connector instance and returns its task configs.
func (h *Herder) startConnector(ctx context.Context, c store.Connector) (_ []map[string]string, err error) {
	p, err := h.pluginFor(c.Config)
	if err != nil {
		return nil, err
	}
	resolved, err := h.resolve.Resolve(c.Config)
	if err != nil {
		return nil, err
	}
	vals, err := worker.CommonDef().Merge(p.Config).Parse(resolved)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in connector %s: %v", c.Name, v)
		}
	}()
	conn := p.New()
	if err := conn.Start(ctx, resolved); err != nil {
		return nil, fmt.Errorf("start connector: %w", err)
	}
	maxTasks := vals.Int(worker.KeyTasksMax)
	cfgs, err := conn.TaskConfigs(maxTasks)
	if err != nil {
		_ = conn.Stop(ctx)
		return nil, fmt.Errorf("generate task configs: %w", err)
	}
	if len(cfgs) > maxTasks {
		_ = conn.Stop(ctx)
		return nil, fmt.Errorf("connector produced %d task configs, more than %s=%d", len(cfgs), worker.KeyTasksMax, maxTasks)
	}
	h.mu.Lock()
	h.live[c.Name] = conn
	h.mu.Unlock()
	h.setConnector(c.Name, worker.StateRunning, "")
	return cfgs, nil
}

func (h *Herder) startTask(ctx context.Context, c store.Connector, i int) {
	id := worker.TaskID{Connector: c.Name, Task: i}
	p, err := h.pluginFor(c.Config)
	if err != nil {
		h.taskFailed(id, err)
		return
	}
	connCfg, err := h.resolve.Resolve(c.Config)
	if err != nil {
		h.taskFailed(id, err)
		return
	}
	taskCfg, err := h.resolve.Resolve(c.Tasks[i])
	if err != nil {
		h.taskFailed(id, err)
		return
	}
	h.setTask(id, worker.StateUnassigned, "")
	if err := h.run.StartTask(ctx, id, p, connCfg, taskCfg); err != nil {
		h.taskFailed(id, err)
	}
}

// halt stops a connector's tasks and instance; state is the status the
// tasks show meanwhile.
func (h *Herder) halt(ctx context.Context, name string, state worker.State) {
	h.mu.Lock()
	st := h.statuses[name]
	var ids []worker.TaskID
	if st != nil {
		for i := range st.tasks {
			ids = append(ids, worker.TaskID{Connector: name, Task: i})
		}
	}
	conn := h.live[name]
	delete(h.live, name)
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.run.StopTask(ctx, id)
			h.setTask(id, state, "")
		}()
	}
	wg.Wait()
	if conn != nil {
		if err := conn.Stop(ctx); err != nil {
			h.log.Warn("connector stop failed", zap.String("connector", name), zap.Error(err))
		}
	}
	if st != nil {
		h.setConnector(name, state, "")
	}
}

// OnTaskState implements worker.HookTaskState.
func (h *Herder) OnTaskState(id worker.TaskID, state worker.State, err error) {
	h.setTask(id, state, worker.Trace(err))
}

func (h *Herder) connectorFailed(name string, err error) {
	h.log.Error("connector failed", zap.String("connector", name), zap.Error(err))
	h.setConnector(name, worker.StateFailed, worker.Trace(err))
}

func (h *Herder) taskFailed(id worker.TaskID, err error) {
	h.log.Error("task failed to start", zap.String("connector", id.Connector), zap.Int("task", id.Task), zap.Error(err))
	h.setTask(id, worker.StateFailed, worker.Trace(err))
}

func (h *Herder) setConnector(name string, s worker.State, trace string) {
	h.mu.Lock()
	st := h.statuses[name]
	if st != nil {
		st.state, st.trace = s, trace
	}
	h.mu.Unlock()
	if st != nil && h.onStatus != nil {
		h.onStatus(name, -1, s, trace)
	}
}

func (h *Herder) setTask(id worker.TaskID, s worker.State, trace string) {
	h.mu.Lock()
	st := h.statuses[id.Connector]
	if st != nil {
		st.tasks[id.Task] = &TaskStatus{ID: id.Task, State: s, WorkerID: h.workerID, Trace: trace, Since: time.Now()}
	}
	h.mu.Unlock()
	if st != nil && h.onStatus != nil {
		h.onStatus(id.Connector, id.Task, s, trace)
	}
}

// track makes sure a connector has a local status entry, so that the
// statuses of its parts started here are kept.
func (h *Herder) track(name string, kind sdk.Kind) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.statuses[name] == nil {
		h.statuses[name] = &connStatus{kind: kind, state: worker.StateUnassigned, tasks: map[int]*TaskStatus{}}
	}
}

// untrack forgets a connector's local status, or one task's (task >= 0).
func (h *Herder) untrack(name string, task int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if task < 0 {
		delete(h.statuses, name)
	} else if st := h.statuses[name]; st != nil {
		delete(st.tasks, task)
	}
}

// stopConnectorInstance stops the connector instance running here, if any.
func (h *Herder) stopConnectorInstance(ctx context.Context, name string) {
	h.mu.Lock()
	conn := h.live[name]
	delete(h.live, name)
	h.mu.Unlock()
	if conn != nil {
		if err := conn.Stop(ctx); err != nil {
			h.log.Warn("connector stop failed", zap.String("connector", name), zap.Error(err))
		}
	}
}

// Status is a connector's status: GET /connectors/{name}/status.
type Status struct {
	Name     string
	Kind     sdk.Kind
	State    worker.State
	WorkerID string
	Trace    string
	Tasks    []TaskStatus
}

// TaskStatus is one task's status.
type TaskStatus struct {
	ID       int
	State    worker.State
	WorkerID string
	Trace    string
	Since    time.Time
}

// Status returns a connector's status.
func (h *Herder) Status(name string) (Status, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.statuses[name]
	if st == nil {
		return Status{}, fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	out := Status{Name: name, Kind: st.kind, State: st.state, WorkerID: h.workerID, Trace: st.trace}
	for _, ts := range st.tasks {
		out.Tasks = append(out.Tasks, *ts)
	}
	sort.Slice(out.Tasks, func(i, j int) bool { return out.Tasks[i].ID < out.Tasks[j].ID })
	return out, nil
}
