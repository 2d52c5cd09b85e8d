package herder

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/runtime/cluster"
	"github.com/freshet-dev/freshet/runtime/plugin"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// Membership is this worker's place in the cluster; *cluster.Member is one.
type Membership interface {
	Run(ctx context.Context) error
	Generation() (gen int32, leader, ok bool)
	Leader() (url string, self, ok bool)
	State() (a cluster.Assignment, self string, ok bool)
	Rejoin()
}

// Distributed is the herder of one worker of a distributed cluster. The
// embedded Herder does the local lifecycle (starting and stopping connector
// instances and tasks, local statuses, validation, offsets); Distributed
// decides what runs here from the group's assignment and the config topic,
// and writes configs only while it leads the current generation.
//
// One goroutine (loop) owns what runs here; membership callbacks, config
// events and restart requests reach it over a channel.
type Distributed struct {
	*Herder
	kc       *store.KafkaConfigs
	statuses *store.KafkaStatuses
	member   Membership
	client   *http.Client

	events  chan func(ctx context.Context)
	cancel  context.CancelFunc
	mcancel context.CancelFunc
	done    chan struct{}
	mdone   chan struct{}

	// Owned by the run goroutine.
	mine    map[cluster.Item]bool
	running map[cluster.Item]snapshot
	started bool
}

// snapshot is the config a running item was started with.
type snapshot struct {
	conn map[string]string
	task map[string]string
}

// NewDistributed returns a distributed herder over the Kafka stores. Call
// Join with the membership (built with the herder as its cluster.Handler),
// then Start. It implements store.ConfigEvents: open the KafkaConfigs with
// DistributedEvents(d).
func NewDistributed(workerID string, kc *store.KafkaConfigs, statuses *store.KafkaStatuses, plugins *plugin.Registry, run Runner, resolve Resolver, log *zap.Logger) *Distributed {
	d := &Distributed{
		Herder: New(workerID, kc, plugins, run, resolve, log),
		kc:     kc, statuses: statuses,
		client:  &http.Client{Timeout: 30 * time.Second},
		events:  make(chan func(context.Context), 1024),
		done:    make(chan struct{}),
		mdone:   make(chan struct{}),
		mine:    map[cluster.Item]bool{},
		running: map[cluster.Item]snapshot{},
	}
	d.onStatus = d.publish
	return d
}

// Join sets the membership. Call it once, before Start.
func (d *Distributed) Join(m Membership) { d.member = m }

// SetConfigs replaces the config store, for a KafkaConfigs opened after
// the herder (it needs the herder as its events sink).
func (d *Distributed) SetConfigs(kc *store.KafkaConfigs) {
	d.kc = kc
	d.configs = kc
}

// Start runs the herder goroutine and joins the group.
func (d *Distributed) Start(ctx context.Context) error {
	ctx, d.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go d.loop(ctx)
	mctx, mcancel := context.WithCancel(ctx)
	go func() {
		defer close(d.mdone)
		_ = d.member.Run(mctx)
	}()
	d.mcancel = mcancel
	return nil
}

// Shutdown stops everything that runs here, then leaves the group, so that
// no other worker starts a task this one still runs.
func (d *Distributed) Shutdown(ctx context.Context) {
	d.do(ctx, func(ctx context.Context) { d.stopAll(ctx) })
	if d.mcancel != nil {
		d.mcancel()
		<-d.mdone
	}
	d.cancel()
	<-d.done
}

// do runs f on the herder goroutine and waits for it.
func (d *Distributed) do(ctx context.Context, f func(ctx context.Context)) {
	done := make(chan struct{})
	select {
	case d.events <- func(ctx context.Context) { f(ctx); close(done) }:
	case <-ctx.Done():
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// post queues f for the herder goroutine without waiting.
func (d *Distributed) post(f func(ctx context.Context)) {
	select {
	case d.events <- f:
	default:
		// The queue is full of reconciliations; one more changes nothing.
		d.log.Warn("herder queue full; event dropped")
	}
}

func (d *Distributed) loop(ctx context.Context) {
	defer close(d.done)
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-d.events:
			f(ctx)
		}
	}
}

// Work implements cluster.Handler: every connector and every committed task.
func (d *Distributed) Work(ctx context.Context) ([]cluster.Item, error) {
	if err := d.kc.Sync(ctx); err != nil {
		return nil, err
	}
	cs, err := d.kc.List(ctx)
	if err != nil {
		return nil, err
	}
	return workOf(cs), nil
}

func workOf(cs []store.Connector) []cluster.Item {
	var out []cluster.Item
	for _, c := range cs {
		out = append(out, cluster.Item{Connector: c.Name, Task: cluster.ConnectorTask})
		for i := range c.Tasks {
			out = append(out, cluster.Item{Connector: c.Name, Task: i})
		}
	}
	return out
}

// Assigned implements cluster.Handler.
func (d *Distributed) Assigned(ctx context.Context, a cluster.Assignment, self string) error {
	d.do(ctx, func(ctx context.Context) {
		revoked := a.Revoked[self]
		for _, it := range revoked {
			delete(d.mine, it)
		}
		d.stopItems(ctx, revoked)
		d.mine = map[cluster.Item]bool{}
		for _, it := range a.Mine(self).Items {
			d.mine[it] = true
		}
		// The leader of each generation takes over the config topic's
		// transactional producer, fencing any older leader's writes.
		if a.Leader == self {
			if err := d.kc.Lead(ctx); err != nil {
				d.log.Warn("taking over the config topic as leader failed; config writes will fail until the next rebalance", zap.Error(err))
			}
		} else {
			d.kc.Follow()
		}
		d.started = true
	})
	d.post(func(ctx context.Context) {
		if err := d.kc.Sync(ctx); err != nil {
			d.log.Warn("catching up with the config topic", zap.Error(err))
		} else if a.Leader == self {
			d.ensureSessionKey(ctx)
		}
		d.reconcile(ctx)
		// Configs written during the rebalance (task configs, say) are not
		// in this assignment yet.
		d.rebalanceIfWorkChanged(ctx)
	})
	return nil
}

// sessionKeyTTL is how long a session key is used before the leader
// replaces it (Kafka Connect's inter.worker.key.ttl.ms default).
const sessionKeyTTL = time.Hour

// ensureSessionKey makes the leader publish a new session key when there is
// none yet or the current one is older than sessionKeyTTL; the workers sign
// and verify forwarded requests with it.
func (d *Distributed) ensureSessionKey(ctx context.Context) {
	if cur, _, ok := d.kc.SessionKeys(); ok && time.Since(cur.Created) < sessionKeyTTL {
		return
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		d.log.Error("generating a session key", zap.Error(err))
		return
	}
	if err := d.kc.PutSessionKey(ctx, store.SessionKey{Key: key, Algorithm: "HmacSHA256", Created: time.Now()}); err != nil {
		d.log.Warn("publishing a new session key failed", zap.Error(err))
	}
}

// Lost implements cluster.Handler: stop everything now.
func (d *Distributed) Lost(ctx context.Context) {
	d.do(ctx, func(ctx context.Context) {
		d.kc.Follow()
		d.mine = map[cluster.Item]bool{}
		d.stopAll(ctx)
	})
}

// ConfigChanged implements store.ConfigEvents.
func (d *Distributed) ConfigChanged(string) {
	d.post(func(ctx context.Context) {
		d.reconcile(ctx)
		d.rebalanceIfWorkChanged(ctx)
	})
}

// RestartRequested implements store.ConfigEvents.
func (d *Distributed) RestartRequested(r store.RestartRequest) {
	d.post(func(ctx context.Context) {
		if d.started {
			d.restartLocal(ctx, r)
		}
	})
}

// rebalanceIfWorkChanged makes the leader rebalance when connectors or
// tasks were added or removed since the last assignment.
func (d *Distributed) rebalanceIfWorkChanged(ctx context.Context) {
	a, _, ok := d.member.State()
	if _, leader, _ := d.member.Generation(); !ok || !leader {
		return
	}
	cs, err := d.kc.List(ctx)
	if err != nil {
		return
	}
	want := workOf(cs)
	var have []cluster.Item
	for _, g := range a.Members {
		have = append(have, g.Items...)
	}
	for _, h := range a.Held {
		have = append(have, h.Item)
	}
	cmp := func(x, y cluster.Item) int {
		if x.Connector != y.Connector {
			if x.Connector < y.Connector {
				return -1
			}
			return 1
		}
		return x.Task - y.Task
	}
	slices.SortFunc(want, cmp)
	slices.SortFunc(have, cmp)
	if !slices.Equal(want, have) {
		d.member.Rejoin()
	}
}

// reconcile brings what runs here in line with the assignment and configs.
func (d *Distributed) reconcile(ctx context.Context) {
	var stop []cluster.Item
	for it := range d.running {
		if !d.mine[it] {
			stop = append(stop, it)
		}
	}
	d.stopItems(ctx, stop)
	items := slices.Collect(maps.Keys(d.mine))
	slices.SortFunc(items, func(x, y cluster.Item) int { // connectors first
		if (x.Task < 0) != (y.Task < 0) {
			if x.Task < 0 {
				return -1
			}
			return 1
		}
		return 0
	})
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, it := range items {
		c, ok, err := d.kc.Get(ctx, it.Connector)
		if err != nil {
			return
		}
		if !ok {
			d.stopItems(ctx, []cluster.Item{it})
			d.untrack(it.Connector, -1)
			continue
		}
		snap := snapshot{conn: c.Config}
		if it.Task >= 0 {
			if it.Task >= len(c.Tasks) {
				d.stopItems(ctx, []cluster.Item{it})
				continue
			}
			snap.task = c.Tasks[it.Task]
		}
		cur, running := d.running[it]
		same := running && maps.Equal(cur.conn, snap.conn) && maps.Equal(cur.task, snap.task)
		target := c.Target
		if running && same && target == store.TargetStarted {
			continue
		}
		if running {
			d.stopItems(ctx, []cluster.Item{it})
		}
		p, perr := d.plugins.Lookup(c.Config[worker.KeyConnectorClass])
		d.track(c.Name, p.Kind)
		switch {
		case perr != nil:
			if it.Task < 0 {
				d.connectorFailed(c.Name, perr)
			}
			continue
		case target == store.TargetPaused:
			d.setItem(it, worker.StatePaused)
			continue
		case target == store.TargetStopped:
			d.setItem(it, worker.StateStopped)
			continue
		}
		d.running[it] = snap
		if it.Task < 0 {
			d.startConnectorHere(ctx, c)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.startTask(ctx, c, it.Task)
		}()
	}
	wg.Wait()
}

func (d *Distributed) setItem(it cluster.Item, s worker.State) {
	if it.Task < 0 {
		d.setConnector(it.Connector, s, "")
	} else {
		d.setTask(worker.TaskID{Connector: it.Connector, Task: it.Task}, s, "")
	}
}

// startConnectorHere starts a connector instance and stores the task
// configs it generates when they changed.
func (d *Distributed) startConnectorHere(ctx context.Context, c store.Connector) {
	cfgs, err := d.startConnector(ctx, c)
	if err != nil {
		d.connectorFailed(c.Name, err)
		return
	}
	if slices.EqualFunc(cfgs, c.Tasks, maps.Equal[map[string]string]) {
		return
	}
	// Only the connector's owner writes its task configs (it is in d.mine
	// while this runs on the herder goroutine).
	c.Tasks = cfgs
	if err := d.kc.Put(ctx, c); err != nil {
		d.connectorFailed(c.Name, fmt.Errorf("store task configs: %w", err))
	}
}

// stopItems stops items that run here, tasks in parallel.
func (d *Distributed) stopItems(ctx context.Context, items []cluster.Item) {
	var wg sync.WaitGroup
	for _, it := range items {
		if _, ok := d.running[it]; !ok {
			continue
		}
		delete(d.running, it)
		if it.Task < 0 {
			d.stopConnectorInstance(ctx, it.Connector)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.run.StopTask(ctx, worker.TaskID{Connector: it.Connector, Task: it.Task})
		}()
	}
	wg.Wait()
	for _, it := range items {
		if !d.mine[it] {
			d.untrack(it.Connector, it.Task)
		}
	}
}

func (d *Distributed) stopAll(ctx context.Context) {
	d.stopItems(ctx, slices.Collect(maps.Keys(d.running)))
}

// restartLocal carries out a restart request for what runs here.
func (d *Distributed) restartLocal(ctx context.Context, r store.RestartRequest) {
	var again []cluster.Item
	for it := range d.mine {
		if it.Connector != r.Connector || it.Task >= 0 && !r.IncludeTasks {
			continue
		}
		if r.OnlyFailed && !d.failedHere(it) {
			continue
		}
		again = append(again, it)
	}
	if len(again) == 0 {
		return
	}
	for _, it := range again {
		if it.Task >= 0 {
			d.setTask(worker.TaskID{Connector: it.Connector, Task: it.Task}, worker.StateRestarting, "")
		}
	}
	d.stopItems(ctx, again)
	d.reconcile(ctx)
}

func (d *Distributed) failedHere(it cluster.Item) bool {
	st, err := d.Herder.Status(it.Connector)
	if err != nil {
		return false
	}
	if it.Task < 0 {
		return st.State == worker.StateFailed
	}
	for _, t := range st.Tasks {
		if t.ID == it.Task {
			return t.State == worker.StateFailed
		}
	}
	return false
}

// publish writes a local status change to the status topic.
func (d *Distributed) publish(name string, task int, s worker.State, trace string) {
	if d.statuses == nil {
		return
	}
	gen, _, _ := d.member.Generation()
	st := store.Status{State: string(s), Trace: trace, WorkerID: d.workerID, Generation: gen}
	if task < 0 {
		d.statuses.PutConnector(name, st)
	} else {
		d.statuses.PutTask(name, task, st)
	}
}

// leader returns an ErrConflict error unless this worker leads the current
// generation; REST writes reach the leader through forwarding.
func (d *Distributed) leader() error {
	_, leader, ok := d.member.Generation()
	for deadline := time.Now().Add(10 * time.Second); !ok && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		_, leader, ok = d.member.Generation()
	}
	if !ok {
		return fmt.Errorf("%w: cannot complete the request: the cluster is rebalancing", ErrConflict)
	}
	if !leader {
		return fmt.Errorf("%w: this worker is not the leader; send the request to the leader", ErrConflict)
	}
	return nil
}

// PutConnector creates or replaces a connector's config. Only the leader
// writes; the connector's owner starts it when it reads the config.
func (d *Distributed) PutConnector(ctx context.Context, name string, cfg map[string]string, target store.TargetState) (bool, error) {
	if err := d.leader(); err != nil {
		return false, err
	}
	cfg = maps.Clone(cfg)
	if cfg[worker.KeyName] == "" {
		cfg[worker.KeyName] = name
	}
	if cfg[worker.KeyName] != name {
		return false, fmt.Errorf("%w: connector name %q in the config does not match %q", ErrInvalidConfig, cfg[worker.KeyName], name)
	}
	if err := d.Validate(ctx, cfg); err != nil {
		return false, err
	}
	if err := d.kc.Sync(ctx); err != nil {
		return false, err
	}
	old, exists, err := d.kc.Get(ctx, name)
	if err != nil {
		return false, err
	}
	c := store.Connector{Name: name, Config: cfg, Target: target}
	if exists {
		c.Tasks = old.Tasks
		if target == "" {
			c.Target = old.Target
		}
	}
	if err := d.kc.Put(ctx, c); err != nil {
		return false, fmt.Errorf("store config of %s: %w", name, err)
	}
	return !exists, nil
}

// DeleteConnector removes a connector's config; its owners stop it.
func (d *Distributed) DeleteConnector(ctx context.Context, name string) error {
	if err := d.leader(); err != nil {
		return err
	}
	c, ok, err := d.kc.Get(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	if err := d.kc.Delete(ctx, name); err != nil {
		return err
	}
	if d.statuses != nil {
		d.statuses.Delete(name, len(c.Tasks))
	}
	d.forgetTopics(name)
	return nil
}

// SetTarget pauses, resumes or stops a connector.
func (d *Distributed) SetTarget(ctx context.Context, name string, target store.TargetState) error {
	if err := d.leader(); err != nil {
		return err
	}
	c, ok, err := d.kc.Get(ctx, name)
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
	return d.kc.Put(ctx, c)
}

// Restart asks every worker to restart its parts of a connector.
func (d *Distributed) Restart(ctx context.Context, name string, opt RestartOptions) error {
	if err := d.leader(); err != nil {
		return err
	}
	if _, ok, err := d.kc.Get(ctx, name); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	return d.kc.RequestRestart(ctx, store.RestartRequest{Connector: name, IncludeTasks: opt.IncludeTasks, OnlyFailed: opt.OnlyFailed})
}

// RestartTask restarts a task here when it runs here, or asks the worker
// that runs it.
func (d *Distributed) RestartTask(ctx context.Context, id worker.TaskID) error {
	c, ok, err := d.kc.Get(ctx, id.Connector)
	if err != nil {
		return err
	}
	if !ok || id.Task < 0 || id.Task >= len(c.Tasks) {
		return fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	a, self, ok := d.member.State()
	if !ok {
		return fmt.Errorf("%w: cannot complete the request: the cluster is rebalancing", ErrConflict)
	}
	it := cluster.Item{Connector: id.Connector, Task: id.Task}
	for _, g := range a.Members {
		if !slices.Contains(g.Items, it) {
			continue
		}
		if g.Member == self {
			d.do(ctx, func(ctx context.Context) {
				d.stopItems(ctx, []cluster.Item{it})
				d.reconcile(ctx)
			})
			return nil
		}
		u := g.URL + "/connectors/" + url.PathEscape(id.Connector) + "/tasks/" + strconv.Itoa(id.Task) + "/restart"
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
		if err != nil {
			return err
		}
		resp, err := d.client.Do(req)
		if err != nil {
			return fmt.Errorf("ask %s to restart task %s: %w", g.Worker, id, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("ask %s to restart task %s: HTTP %d", g.Worker, id, resp.StatusCode)
		}
		return nil
	}
	return fmt.Errorf("%w: task %s is not assigned to any worker yet", ErrConflict, id)
}

// Status returns a connector's status across the cluster: what runs here
// from this worker's own view, the rest from the status topic.
func (d *Distributed) Status(name string) (Status, error) {
	c, ok, err := d.kc.Get(context.Background(), name)
	if err != nil {
		return Status{}, err
	}
	if !ok {
		return Status{}, fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	local, lerr := d.Herder.Status(name)
	out := Status{Name: name, State: worker.StateUnassigned}
	if p, err := d.plugins.Lookup(c.Config[worker.KeyConnectorClass]); err == nil {
		out.Kind = p.Kind
	}
	owner := d.owners()
	if owner[cluster.Item{Connector: name, Task: cluster.ConnectorTask}] == d.workerID && lerr == nil {
		out.State, out.WorkerID, out.Trace = local.State, d.workerID, local.Trace
	} else if st, ok := d.statuses.Connector(name); ok {
		out.State, out.WorkerID, out.Trace = worker.State(st.State), st.WorkerID, st.Trace
	}
	for i := range c.Tasks {
		ts := TaskStatus{ID: i, State: worker.StateUnassigned}
		if owner[cluster.Item{Connector: name, Task: i}] == d.workerID && lerr == nil {
			for _, lt := range local.Tasks {
				if lt.ID == i {
					ts = lt
				}
			}
		} else if st, ok := d.statuses.Task(name, i); ok {
			ts = TaskStatus{ID: i, State: worker.State(st.State), WorkerID: st.WorkerID, Trace: st.Trace}
		}
		out.Tasks = append(out.Tasks, ts)
	}
	return out, nil
}

// owners maps each assigned item to its worker id.
func (d *Distributed) owners() map[cluster.Item]string {
	a, _, _ := d.member.State()
	out := map[cluster.Item]string{}
	for _, g := range a.Members {
		for _, it := range g.Items {
			out[it] = g.Worker
		}
	}
	return out
}

// ClusterState is what GET /cluster and `freshet cluster` show.
type ClusterState struct {
	Worker     string          `json:"worker"`
	Generation int32           `json:"generation"`
	Leader     string          `json:"leader"`
	LeaderURL  string          `json:"leader_url"`
	Stable     bool            `json:"stable"`
	Members    []ClusterMember `json:"members"`
	Held       []cluster.Held  `json:"held,omitempty"`
}

// ClusterMember is one member and what it runs.
type ClusterMember struct {
	Worker     string   `json:"worker"`
	URL        string   `json:"url"`
	Leader     bool     `json:"leader"`
	Connectors []string `json:"connectors"`
	Tasks      []string `json:"tasks"`
}

// Cluster returns the membership as of the last rebalance.
func (d *Distributed) Cluster() ClusterState {
	a, _, ok := d.member.State()
	out := ClusterState{Worker: d.workerID, Generation: a.Generation, LeaderURL: a.LeaderURL, Stable: ok, Held: a.Held,
		Members: []ClusterMember{}}
	for _, g := range a.Members {
		m := ClusterMember{Worker: g.Worker, URL: g.URL, Leader: g.Member == a.Leader, Connectors: []string{}, Tasks: []string{}}
		if m.Leader {
			out.Leader = g.Worker
		}
		for _, it := range g.Items {
			if it.Task < 0 {
				m.Connectors = append(m.Connectors, it.Connector)
			} else {
				m.Tasks = append(m.Tasks, it.String())
			}
		}
		out.Members = append(out.Members, m)
	}
	return out
}
