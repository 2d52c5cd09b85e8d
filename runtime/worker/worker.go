package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kzap"
	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
	"github.com/freshet-dev/freshet/runtime/convert"
	"github.com/freshet-dev/freshet/runtime/kafka"
	"github.com/freshet-dev/freshet/runtime/transform"
)

// TaskID names a task: connector name and task number.
type TaskID struct {
	Connector string
	Task      int
}

func (id TaskID) String() string { return fmt.Sprintf("%s-%d", id.Connector, id.Task) }

// State is a connector or task state as Kafka Connect's status API spells it.
type State string

// States.
const (
	StateUnassigned State = "UNASSIGNED"
	StateRunning    State = "RUNNING"
	StatePaused     State = "PAUSED"
	StateStopped    State = "STOPPED"
	StateFailed     State = "FAILED"
	StateRestarting State = "RESTARTING"
)

// Worker runs tasks in this process.
type Worker struct {
	id      string
	log     *zap.Logger
	props   map[string]string // worker properties: Kafka client keys and converter defaults
	offsets OffsetStore
	opts    options

	mu    sync.Mutex
	tasks map[TaskID]*running
}

type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	sink   *sinkTask // nil for source tasks
}

// taskEnv is what both task loops share: identity, error policy, converters,
// transforms and hooks.
type taskEnv struct {
	id       TaskID
	workerID string
	version  string
	log      *zap.Logger
	policy   errorPolicy
	hooks    hooks
	dlq      *deadLetters

	keyConv, valueConv           convert.Converter
	keyConvClass, valueConvClass string
	sinkClass                    string
	chain                        *transform.Chain
	freshnessBudget              time.Duration    // freshness.budget.ms
	writeGuard                   func() error     // see WithWriteGuard
	writeDeadline                func() time.Time // see WithWriteDeadline
}

// New returns a worker. props are the worker properties (Kafka client keys,
// converter defaults, offset.flush.interval.ms, freshet.task.buffer.bytes).
func New(id string, props map[string]string, offsets OffsetStore, log *zap.Logger, opts ...Option) (*Worker, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Worker{
		id: id, log: log.With(zap.String("worker_id", id)), props: props, offsets: offsets, opts: o,
		tasks: map[TaskID]*running{},
	}, nil
}

// ID returns the worker id.
func (w *Worker) ID() string { return w.id }

// StartTask starts a task of plugin p. connCfg is the connector's config and
// taskCfg the task's, both with config-provider references resolved. Errors
// in the configuration are returned; failures after start are reported to
// HookTaskState hooks.
func (w *Worker) StartTask(ctx context.Context, id TaskID, p sdk.Plugin, connCfg, taskCfg map[string]string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.tasks[id]; ok {
		return fmt.Errorf("task %s is already running on this worker", id)
	}
	log := w.log.With(zap.String("connector", id.Connector), zap.Int("task", id.Task))
	taskCfg = maps.Clone(taskCfg)
	if taskCfg == nil {
		taskCfg = map[string]string{}
	}
	taskCfg[sdk.TaskConfigConnectorName] = id.Connector
	taskCfg[sdk.TaskConfigConnectorVersion] = p.Version
	taskCfg[sdk.TaskConfigTaskID] = strconv.Itoa(id.Task)
	env, err := w.newEnv(id, p, connCfg, log)
	if err != nil {
		return err
	}
	var loop func(ctx context.Context) error
	var sink *sinkTask
	switch conn := p.New().(type) {
	case sdk.SinkConnector:
		sink, loop, err = w.sinkLoop(env, conn.NewSinkTask(), connCfg, taskCfg)
	case sdk.SourceConnector:
		loop, err = w.sourceLoop(env, conn.NewSourceTask(), connCfg, taskCfg)
	default:
		err = fmt.Errorf("plugin %s is neither a sink nor a source connector", p.Name)
	}
	if err != nil {
		return err
	}
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &running{cancel: cancel, done: make(chan struct{}), sink: sink}
	w.tasks[id] = r
	go w.runTask(tctx, r, env, loop)
	return nil
}

func (w *Worker) runTask(ctx context.Context, r *running, env *taskEnv, loop func(context.Context) error) {
	defer close(r.done)
	env.hooks.taskStarted(env.id, env.freshnessBudget)
	err := func() (err error) {
		defer recoverPanic(&err, "task")
		return loop(ctx)
	}()
	if err != nil && ctx.Err() == nil {
		env.log.Error("task failed", zap.Error(err))
		env.hooks.taskState(env.id, StateFailed, err)
		return
	}
	env.log.Info("task stopped")
}

// StopTask stops a task and waits for it to flush and commit, within the
// graceful timeout; after that, uncommitted records are redelivered later,
// never lost.
func (w *Worker) StopTask(ctx context.Context, id TaskID) {
	w.mu.Lock()
	r, ok := w.tasks[id]
	delete(w.tasks, id)
	w.mu.Unlock()
	if !ok {
		return
	}
	r.cancel()
	// The task gets task.shutdown.graceful.timeout.ms to flush and commit,
	// plus time to close its client. A task stuck in connector code (a Put
	// blocked on I/O) is abandoned after that, as Kafka Connect abandons it:
	// what it did not commit is redelivered later, never lost.
	wait := time.NewTimer(w.opts.graceful + 5*time.Second)
	defer wait.Stop()
	select {
	case <-r.done:
	case <-ctx.Done():
		w.log.Warn("task did not stop before shutdown; abandoning it", zap.Stringer("task", id))
	case <-wait.C:
		w.log.Warn("task did not stop within task.shutdown.graceful.timeout.ms; abandoning it", zap.Stringer("task", id), zap.Duration("duration", w.opts.graceful))
	}
}

// ErrNoSinkTask is returned by Ready and Replay when no sink task of the
// connector runs on this worker.
var ErrNoSinkTask = errors.New("no sink task of this connector is running on this worker")

// Ready reports whether a sink task of connector runs here, so that dead
// letters can be replayed into it (dlq.SinkReplayer).
func (w *Worker) Ready(_ context.Context, connector string) error {
	if w.sinkOf(connector) == nil {
		return fmt.Errorf("connector %s: %w: %w", connector, ErrNoSinkTask, dlq.ErrNotRunning)
	}
	return nil
}

// Replay puts dead letters straight into the connector's sink, on its task's
// goroutine, and returns per-record failures (dlq.SinkReplayer).
func (w *Worker) Replay(ctx context.Context, connector string, recs []*kgo.Record) (map[int]error, error) {
	t := w.sinkOf(connector)
	if t == nil {
		return nil, fmt.Errorf("connector %s: %w: %w", connector, ErrNoSinkTask, dlq.ErrNotRunning)
	}
	return t.replay(ctx, recs)
}

func (w *Worker) sinkOf(connector string) *sinkTask {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, r := range w.tasks {
		if id.Connector == connector && r.sink != nil {
			return r.sink
		}
	}
	return nil
}

// Tasks lists the tasks running on this worker.
func (w *Worker) Tasks() []TaskID {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]TaskID, 0, len(w.tasks))
	for id := range w.tasks {
		out = append(out, id)
	}
	return out
}

// Shutdown stops every task, in parallel, each flushing and committing what
// it can within the graceful timeout.
func (w *Worker) Shutdown(ctx context.Context) {
	var wg sync.WaitGroup
	for _, id := range w.Tasks() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.StopTask(ctx, id)
		}()
	}
	wg.Wait()
}

func (w *Worker) newEnv(id TaskID, p sdk.Plugin, cfg map[string]string, log *zap.Logger) (*taskEnv, error) {
	vals, err := CommonDef().Parse(cfg)
	if err != nil {
		return nil, err
	}
	env := &taskEnv{
		id: id, workerID: w.id, version: p.Version, log: log,
		policy: parseErrorPolicy(vals), hooks: w.opts.hooks, sinkClass: sinkTaskClass,
		freshnessBudget: vals.Millis(KeyFreshnessBudget), writeGuard: w.opts.writeGuard, writeDeadline: w.opts.writeDeadline,
	}
	if p.Kind == sdk.KindSource {
		env.sinkClass = sourceTaskClass
	}
	var errs []error
	env.keyConvClass, env.keyConv, err = w.converter(cfg, KeyKeyConverter, true)
	errs = append(errs, err)
	env.valueConvClass, env.valueConv, err = w.converter(cfg, KeyValueConverter, false)
	errs = append(errs, err)
	env.chain, err = transform.NewChain(cfg)
	errs = append(errs, err)
	return env, errors.Join(errs...)
}

// converter builds the key or value converter: the connector's setting, else
// the worker's, with its prefixed properties.
func (w *Worker) converter(cfg map[string]string, key string, isKey bool) (string, convert.Converter, error) {
	src := cfg
	class := cfg[key]
	if class == "" {
		src, class = w.props, w.props[key]
	}
	if class == "" {
		class = "org.apache.kafka.connect.json.JsonConverter"
	}
	props := map[string]string{}
	for k, v := range src {
		if rest, ok := strings.CutPrefix(k, key+"."); ok {
			props[rest] = v
		}
	}
	c, err := convert.New(class, props, isKey)
	if err != nil {
		return class, nil, fmt.Errorf("%s: %w", key, err)
	}
	return class, c, nil
}

func (w *Worker) clientLog(env *taskEnv) kgo.Opt {
	return kgo.WithLogger(kzap.New(env.log.Named("kafka"), kzap.Level(kgo.LogLevelWarn)))
}

func (w *Worker) sinkLoop(env *taskEnv, task sdk.SinkTask, connCfg, taskCfg map[string]string) (*sinkTask, func(context.Context) error, error) {
	vals, _ := CommonDef().Parse(connCfg)
	topics, regex := vals.List(KeyTopics), vals.String(KeyTopicsRegex)
	switch {
	case len(topics) > 0 && regex != "":
		return nil, nil, &sdk.ConfigError{Key: KeyTopics, Message: "set either topics or topics.regex, not both"}
	case len(topics) == 0 && regex == "":
		return nil, nil, &sdk.ConfigError{Key: KeyTopics, Message: "a sink connector needs topics or topics.regex: set topics=<comma-separated topics>"}
	case regex != "":
		topics = []string{regex}
	}
	if env.policy.dlqTopic != "" {
		for _, t := range topics {
			if t == env.policy.dlqTopic {
				return nil, nil, &sdk.ConfigError{Key: KeyDLQTopic, Message: fmt.Sprintf("the dead-letter topic %q may not be one of the topics the connector consumes", t)}
			}
		}
	}
	clientProps := kafka.WithOverrides(kafka.Scoped(w.props, "consumer."), connCfg, "consumer.override.")
	opts, err := kafka.ConsumerOpts(clientProps)
	if err != nil {
		return nil, nil, fmt.Errorf("consumer config: %w", err)
	}
	group := "connect-" + env.id.Connector
	if g := clientProps["group.id"]; g != "" && connCfg["consumer.override.group.id"] != "" {
		group = g
	}
	opts = append(opts, kgo.ClientID(fmt.Sprintf("connector-consumer-%s", env.id)), w.clientLog(env))
	t := &sinkTask{
		taskEnv: env, task: task, wantDelivered: env.hooks.wantDelivered(),
		maxPoll: w.opts.maxPollRecords, flushEvery: w.opts.flushInterval, bufferBytes: w.opts.bufferBytes,
		replays:  make(chan *replayReq, 1), // buffered: the sender wakes the poll after handing over
		assigned: map[sdk.TopicPartition]bool{}, topics: map[string]bool{}, stored: sdk.Offsets{}, put: sdk.Offsets{}, committed: sdk.Offsets{},
	}
	return t, func(ctx context.Context) error {
		if err := startTask(ctx, func() error { return task.Start(ctx, taskCfg) }); err != nil {
			return err
		}
		defer func() { _ = stopTask(task.Stop) }()
		client, err := t.newClient(opts, group, topics, regex != "")
		if err != nil {
			return fmt.Errorf("kafka consumer: %w", err)
		}
		t.client = client
		if err := checkAuth(ctx, client, env.log); err != nil {
			client.Close()
			return err
		}
		if err := w.setupDeadLetters(ctx, env, client); err != nil {
			client.Close()
			return err
		}
		env.hooks.taskState(env.id, StateRunning, nil)
		err = t.run(ctx)
		sctx, cancel := context.WithTimeout(context.Background(), w.opts.graceful)
		defer cancel()
		return errors.Join(err, t.stop(sctx))
	}, nil
}

func (w *Worker) sourceLoop(env *taskEnv, task sdk.SourceTask, connCfg, taskCfg map[string]string) (func(context.Context) error, error) {
	if w.offsets == nil {
		return nil, errors.New("source connectors need an offset store: set offset.storage.file.filename")
	}
	clientProps := kafka.WithOverrides(kafka.Scoped(w.props, "producer."), connCfg, "producer.override.")
	eos, err := w.eosSettings(env.id, connCfg)
	if err != nil {
		return nil, err
	}
	if eos != nil {
		clientProps["transactional.id"] = eos.txID
	}
	opts, err := kafka.ProducerOpts(clientProps)
	if err != nil {
		return nil, fmt.Errorf("producer config: %w", err)
	}
	if eos == nil && w.opts.writeDeadline != nil {
		// Lets a record's deadline (the write lease) drop it while it is
		// buffered: never sent, rather than sent by a resumed zombie.
		opts = append(opts, kgo.AllowIdempotentProduceCancellation())
	}
	opts = append(opts,
		kgo.ClientID(fmt.Sprintf("connector-producer-%s", env.id)),
		kgo.MaxBufferedBytes(int(w.opts.bufferBytes)),
		kgo.AllowAutoTopicCreation(),
		w.clientLog(env),
	)
	t := &sourceTask{taskEnv: env, task: task, offsets: w.offsets, pos: newPositions(), flushEvery: w.opts.flushInterval, topics: map[string]bool{}, eos: eos}
	run, stop := t.run, t.stop
	if eos != nil {
		run, stop = t.runEOS, t.stopEOS
	}
	return func(ctx context.Context) error {
		client, err := kgo.NewClient(opts...)
		if err != nil {
			return fmt.Errorf("kafka producer: %w", err)
		}
		t.client = client
		if err := checkAuth(ctx, client, env.log); err != nil {
			client.Close()
			return err
		}
		if err := w.setupDeadLetters(ctx, env, client); err != nil {
			client.Close()
			return err
		}
		if eos != nil {
			if err := t.startEOS(ctx); err != nil {
				client.Close()
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		reader := offsetReader{store: w.offsets, connector: env.id.Connector}
		if err := startTask(ctx, func() error { return task.Start(ctx, taskCfg, reader) }); err != nil {
			client.Close()
			return err
		}
		defer func() { _ = stopTask(task.Stop) }()
		env.hooks.taskState(env.id, StateRunning, nil)
		err = run(ctx)
		sctx, cancel := context.WithTimeout(context.Background(), w.opts.graceful)
		defer cancel()
		return errors.Join(err, stop(sctx))
	}, nil
}

func startTask(ctx context.Context, start func() error) (err error) {
	defer recoverPanic(&err, "start")
	if err := start(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("start task: %w", err)
	}
	return nil
}

func stopTask(stop func(context.Context) error) (err error) {
	defer recoverPanic(&err, "stop")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return stop(ctx)
}

// checkAuth fails fast on credentials Kafka refuses: franz-go would retry
// them forever while the task looks RUNNING. Other errors (a broker that is
// down) are left to the client's retries.
func checkAuth(ctx context.Context, cl *kgo.Client, log *zap.Logger) error {
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	err := cl.Ping(pctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.ClusterAuthorizationFailed),
		errors.Is(err, kerr.UnsupportedSaslMechanism), errors.Is(err, kerr.IllegalSaslState):
		return sdk.Fatal(fmt.Errorf("kafka refused the credentials (check security.protocol, sasl.mechanism and sasl.jaas.config): %w", err))
	}
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) {
		return sdk.Fatal(fmt.Errorf("kafka's TLS certificate was not trusted (check ssl.truststore.location): %w", err))
	}
	if ctx.Err() == nil {
		log.Warn("kafka not reachable yet; retrying in the background", zap.Error(err))
	}
	return nil
}

// setupDeadLetters creates the dead-letter topic, when the connector has one
// and tolerates errors, and points env at it; dead letters go through the
// task's own client.
func (w *Worker) setupDeadLetters(ctx context.Context, env *taskEnv, client *kgo.Client) error {
	p := env.policy
	if p.dlqTopic == "" || !p.tolerateAll {
		return nil
	}
	if err := w.ensureTopic(ctx, client, p.dlqTopic, p.dlqReplication); err != nil {
		return err
	}
	env.dlq = &deadLetters{client: client, topic: p.dlqTopic, ctxHdr: p.contextHeaders}
	return nil
}

// ensureTopic creates a topic with one partition when it does not exist.
func (w *Worker) ensureTopic(ctx context.Context, cl *kgo.Client, topic string, rf int) error {
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctx, 1, int16(rf), nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !strings.Contains(err.Error(), "TOPIC_ALREADY_EXISTS") {
		if rf > 1 && strings.Contains(err.Error(), "INVALID_REPLICATION_FACTOR") {
			return fmt.Errorf("create dead-letter topic %s with replication factor %d: %w (set %s to at most the number of brokers)", topic, rf, err, KeyDLQReplication)
		}
		return fmt.Errorf("create dead-letter topic %s: %w", topic, err)
	}
	return nil
}
