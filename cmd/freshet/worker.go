package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/freshet-dev/freshet/dlq"
	"github.com/freshet-dev/freshet/runtime/config"
	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/kafka"
	"github.com/freshet-dev/freshet/runtime/metrics"
	"github.com/freshet-dev/freshet/runtime/rest"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// runWorker is `freshet worker WORKER.properties [CONNECTOR…]`, the
// equivalent of connect-standalone.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, "Usage: freshet worker WORKER.properties [CONNECTOR.json|CONNECTOR.properties ...]\n")
		return 2
	}
	props, err := config.LoadProperties(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "freshet worker: %v\n", err)
		return 2
	}
	props = config.ApplyEnv(props, os.Environ())
	// Read every connector file before starting anything, so a typo fails
	// fast with nothing half started.
	var conns []config.ConnectorFile
	for _, path := range args[1:] {
		c, err := config.LoadConnector(path)
		if err != nil {
			fmt.Fprintf(stderr, "freshet worker: %v\n", err)
			return 2
		}
		conns = append(conns, c)
	}
	levels := rest.NewLevels(zapcore.InfoLevel)
	log := newLogger(stderr, false, levels)
	defer func() { _ = log.Sync() }()
	if props[config.KeyGroupID] != "" {
		if len(conns) > 0 {
			fmt.Fprintf(stderr, "freshet worker: %s sets group.id, so this is a distributed worker; connector files are for standalone workers:\n"+
				"create connectors through the REST API instead, e.g. freshet connectors create -f %s\n", args[0], args[1])
			return 2
		}
		return runDistributed(ctx, props, log, levels, stderr)
	}

	s, err := startStandalone(ctx, props, log, levels)
	if err != nil {
		fmt.Fprintf(stderr, "freshet worker: %v\n", err)
		return 1
	}
	code := 0
	for _, c := range conns {
		if _, err := s.herder.PutConnector(ctx, c.Name, c.Config, store.TargetState(c.InitialState)); err != nil {
			fmt.Fprintf(stderr, "freshet worker: connector %s: %v\n", c.Name, err)
			code = 1
			break
		}
	}
	if code == 0 {
		log.Info("worker started", zap.String("rest_url", s.rest.URL()))
		<-ctx.Done()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.shutdown(sctx)
	return code
}

// standalone is one worker process: stores, worker, herder, metrics and
// the REST API.
type standalone struct {
	log     *zap.Logger
	cfg     config.Worker
	worker  *worker.Worker
	herder  *herder.Herder
	metrics *metrics.Collector
	rest    *rest.Server
	admin   *kgo.Client
	drainer *dlq.Drainer
	started atomic.Bool
}

func startStandalone(ctx context.Context, props map[string]string, log *zap.Logger, levels *rest.Levels, hooks ...worker.Hook) (*standalone, error) {
	cfg, err := config.ParseWorker(props)
	if err != nil {
		return nil, fmt.Errorf("invalid worker config:\n%w", err)
	}
	if err := cfg.CheckStandalone(); err != nil {
		return nil, fmt.Errorf("invalid worker config:\n%w", err)
	}
	ps, err := loadPlugins(ctx, props, log)
	if err != nil {
		return nil, err
	}
	offsets, err := store.NewFileOffsets(cfg.OffsetStorageFile)
	if err != nil {
		return nil, err
	}
	configs, err := store.NewFileConfigs(cfg.ConfigStorageFile)
	if err != nil {
		return nil, err
	}
	adminOpts, err := kafka.ClientOpts(kafka.Scoped(props, kafka.AdminPrefix))
	if err != nil {
		return nil, fmt.Errorf("admin client config: %w", err)
	}
	s := &standalone{log: log, cfg: cfg}
	if s.admin, err = kgo.NewClient(adminOpts...); err != nil {
		return nil, fmt.Errorf("kafka admin client: %w", err)
	}
	if s.metrics, err = metrics.New(); err != nil {
		return nil, err
	}
	id := workerID(cfg.Listeners[0])
	var h *herder.Herder
	if cfg.MetricsEnable {
		hooks = append(hooks, s.metrics)
	}
	hooks = append(hooks, herderHooks{&h})
	s.worker, err = worker.New(id, props, offsets, log,
		worker.WithHooks(hooks...),
		worker.WithFlushInterval(cfg.OffsetFlushInterval),
		worker.WithBufferBytes(cfg.TaskBufferBytes),
		worker.WithGracefulTimeout(cfg.TaskShutdownGracefulTimeout),
	)
	if err != nil {
		return nil, err
	}
	h = herder.New(id, configs, ps.reg, s.worker, cfg.Resolver, log.Named("herder"))
	h.UseIsolation(ps.isolation())
	h.UseOffsets(offsets, herder.NewKafkaGroupOffsets(kadm.NewClient(s.admin)))
	s.herder = h

	if s.drainer, err = newDrainer(props, id, h, s.worker, log); err != nil {
		s.admin.Close()
		return nil, err
	}
	if cfg.MetricsEnable {
		s.metrics.Registry().MustRegister(newDrainDepth(s.drainer, log.Named("dlq")))
	}
	if s.rest, err = rest.New(h, ps.reg, log.Named("rest"), restOptions(cfg, id, levels, s.metrics, s, s.drainer, ps)...); err != nil {
		s.admin.Close()
		return nil, err
	}
	if err := s.rest.Start(cfg.Listeners); err != nil {
		s.admin.Close()
		return nil, fmt.Errorf("REST listener: %w (set listeners= to a free address)", err)
	}
	if err := h.Start(ctx); err != nil {
		s.shutdown(ctx)
		return nil, err
	}
	s.started.Store(true)
	return s, nil
}

// Started, Check and Ready make the worker a metrics.Probe for /readyz and
// /livez.
func (s *standalone) Started() bool { return s.started.Load() }

// Check answers when the herder answers.
func (s *standalone) Check(ctx context.Context) error {
	_, err := s.herder.Connectors(ctx)
	return err
}

// Ready reports whether every task of every started connector is running.
func (s *standalone) Ready() error {
	if !s.Started() {
		return errors.New("worker is starting")
	}
	names, err := s.herder.Connectors(context.Background())
	if err != nil {
		return err
	}
	for _, n := range names {
		st, err := s.herder.Status(n)
		if err != nil {
			continue
		}
		for _, t := range st.Tasks {
			if t.State == worker.StateUnassigned || t.State == worker.StateRestarting {
				return fmt.Errorf("task %s-%d is %s", n, t.ID, t.State)
			}
		}
	}
	return nil
}

// shutdown stops in order: REST first (no new writes), then connectors and
// tasks (each flushes and commits), then the clients.
func (s *standalone) shutdown(ctx context.Context) {
	if err := s.rest.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Warn("REST shutdown", zap.Error(err))
	}
	s.herder.Shutdown(ctx)
	s.drainer.Close()
	s.admin.Close()
	s.log.Info("worker stopped")
}

// herderHooks forwards the worker's task states and active topics to the
// herder, which exists only after the worker.
type herderHooks struct{ h **herder.Herder }

func (f herderHooks) OnTaskState(id worker.TaskID, st worker.State, err error) {
	(*f.h).OnTaskState(id, st, err)
}

func (f herderHooks) OnTopicActive(id worker.TaskID, topic string) { (*f.h).OnTopicActive(id, topic) }

// workerID is host:port of the REST listener, as Kafka Connect names workers.
func workerID(url string) string {
	for _, p := range []string{"http://", "https://"} {
		if len(url) > len(p) && url[:len(p)] == p {
			return url[len(p):]
		}
	}
	return url
}

// newLogger returns JSON logs for production, or console logs for people,
// with levels per logger that /admin/loggers can change.
func newLogger(w io.Writer, console bool, levels *rest.Levels) *zap.Logger {
	ecfg := zap.NewProductionEncoderConfig()
	ecfg.TimeKey = "ts"
	ecfg.EncodeTime = zapcore.ISO8601TimeEncoder
	enc := zapcore.NewJSONEncoder(ecfg)
	if console {
		ecfg.EncodeLevel = zapcore.CapitalLevelEncoder
		ecfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05")
		enc = zapcore.NewConsoleEncoder(ecfg)
	}
	return zap.New(levels.Core(zapcore.NewCore(enc, zapcore.AddSync(w), zapcore.DebugLevel)))
}
