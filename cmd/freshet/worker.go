package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/freshet-dev/freshet/runtime/config"
	"github.com/freshet-dev/freshet/runtime/herder"
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
	log := newLogger(stderr, false, zapcore.InfoLevel)
	defer func() { _ = log.Sync() }()

	s, err := startStandalone(ctx, props, log)
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

// standalone is one worker process: stores, worker, herder and REST API.
type standalone struct {
	log    *zap.Logger
	cfg    config.Worker
	worker *worker.Worker
	herder *herder.Herder
	rest   *rest.Server
}

func startStandalone(ctx context.Context, props map[string]string, log *zap.Logger, hooks ...worker.Hook) (*standalone, error) {
	cfg, err := config.ParseWorker(props)
	if err != nil {
		return nil, fmt.Errorf("invalid worker config:\n%w", err)
	}
	if err := cfg.CheckStandalone(); err != nil {
		return nil, fmt.Errorf("invalid worker config:\n%w", err)
	}
	reg, err := newRegistry()
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
	s := &standalone{log: log, cfg: cfg}
	id := workerID(cfg.Listeners[0])
	var h *herder.Herder
	hooks = append(hooks, taskStateHook(func(tid worker.TaskID, st worker.State, err error) { h.OnTaskState(tid, st, err) }))
	s.worker, err = worker.New(id, props, offsets, log,
		worker.WithHooks(hooks...),
		worker.WithFlushInterval(cfg.OffsetFlushInterval),
		worker.WithBufferBytes(cfg.TaskBufferBytes),
		worker.WithGracefulTimeout(cfg.TaskShutdownGracefulTimeout),
	)
	if err != nil {
		return nil, err
	}
	h = herder.New(id, configs, reg, s.worker, cfg.Resolver, log.Named("herder"))
	s.herder = h
	s.rest, err = rest.New(h, reg, log.Named("rest"), rest.WithVersion(version), rest.WithWorkerID(id))
	if err != nil {
		return nil, err
	}
	if err := s.rest.Start(cfg.Listeners); err != nil {
		return nil, fmt.Errorf("REST listener %s: %w (set listeners= to a free address)", cfg.Listeners[0], err)
	}
	if err := h.Start(ctx); err != nil {
		_ = s.rest.Shutdown(ctx)
		return nil, err
	}
	return s, nil
}

// shutdown stops in order: REST first (no new writes), then connectors and
// tasks (each flushes and commits), then the stores.
func (s *standalone) shutdown(ctx context.Context) {
	err := s.rest.Shutdown(ctx)
	s.herder.Shutdown(ctx)
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Warn("REST shutdown", zap.Error(err))
	}
	s.log.Info("worker stopped")
}

type taskStateHook func(worker.TaskID, worker.State, error)

func (f taskStateHook) OnTaskState(id worker.TaskID, s worker.State, err error) { f(id, s, err) }

// workerID is host:port of the REST listener, as Kafka Connect names workers.
func workerID(url string) string {
	for _, p := range []string{"http://", "https://"} {
		if len(url) > len(p) && url[:len(p)] == p {
			return url[len(p):]
		}
	}
	return url
}

// newLogger returns JSON logs for production, or console logs for people.
func newLogger(w io.Writer, console bool, level zapcore.Level) *zap.Logger {
	ecfg := zap.NewProductionEncoderConfig()
	ecfg.TimeKey = "ts"
	ecfg.EncodeTime = zapcore.ISO8601TimeEncoder
	enc := zapcore.NewJSONEncoder(ecfg)
	if console {
		ecfg.EncodeLevel = zapcore.CapitalLevelEncoder
		ecfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05")
		enc = zapcore.NewConsoleEncoder(ecfg)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), level))
}
