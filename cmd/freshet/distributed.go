package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/runtime/cluster"
	"github.com/freshet-dev/freshet/runtime/config"
	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/kafka"
	"github.com/freshet-dev/freshet/runtime/metrics"
	"github.com/freshet-dev/freshet/runtime/rest"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// distributed is one worker of a distributed cluster: Kafka stores,
// membership, worker, herder, metrics and the REST API.
type distributed struct {
	log      *zap.Logger
	started  atomic.Bool
	herder   *herder.Distributed
	rest     *rest.Server
	closers  []func()
	statuses *store.KafkaStatuses
}

// startDistributed starts a worker of the cluster named by group.id, the
// equivalent of connect-distributed.
func startDistributed(ctx context.Context, props map[string]string, log *zap.Logger, levels *rest.Levels) (_ *distributed, err error) {
	cfg, err := config.ParseWorker(props)
	if err != nil {
		return nil, fmt.Errorf("invalid worker config:\n%w", err)
	}
	if err := cfg.CheckDistributed(); err != nil {
		return nil, fmt.Errorf("invalid worker config:\n%w", err)
	}
	ps, err := loadPlugins(ctx, props, log)
	if err != nil {
		return nil, err
	}
	base, err := kafka.ClientOpts(kafka.Scoped(props, kafka.AdminPrefix))
	if err != nil {
		return nil, fmt.Errorf("kafka client config: %w", err)
	}
	d := &distributed{log: log}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	admin, err := kgo.NewClient(base...)
	if err != nil {
		return nil, fmt.Errorf("kafka admin client: %w", err)
	}
	d.closers = append(d.closers, admin.Close)
	adm := kadm.NewClient(admin)
	for _, t := range []store.Topic{
		{Name: cfg.ConfigStorageTopic, Partitions: 1, ReplicationFactor: int16(cfg.ConfigStorageReplicationFactor), SinglePartition: true},
		{Name: cfg.OffsetStorageTopic, Partitions: int32(cfg.OffsetStoragePartitions), ReplicationFactor: int16(cfg.OffsetStorageReplicationFactor)},
		{Name: cfg.StatusStorageTopic, Partitions: int32(cfg.StatusStoragePartitions), ReplicationFactor: int16(cfg.StatusStorageReplicationFactor)},
	} {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = store.EnsureTopic(tctx, adm, t)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	offsets, err := store.NewKafkaOffsets(ctx, base, cfg.OffsetStorageTopic)
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { _ = offsets.Close() })
	if d.statuses, err = store.NewKafkaStatuses(ctx, base, cfg.StatusStorageTopic); err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { _ = d.statuses.Close() })
	met, err := metrics.New()
	if err != nil {
		return nil, err
	}
	id := workerID(cfg.Listeners[0])
	var h *herder.Herder
	// Tasks write only while this worker's membership lease holds (see
	// cluster.Member.Guard); member is set before the herder starts tasks.
	var member *cluster.Member
	guard := func() error {
		if member == nil {
			return errors.New("not joined yet")
		}
		return member.Guard()
	}
	wk, err := worker.New(id, props, offsets, log,
		worker.WithWriteGuard(guard),
		worker.WithWriteDeadline(func() time.Time {
			if member == nil {
				return time.Time{}
			}
			return member.LeaseEnd()
		}),
		worker.WithHooks(met, herderHooks{&h}),
		worker.WithFlushInterval(cfg.OffsetFlushInterval),
		worker.WithBufferBytes(cfg.TaskBufferBytes),
		worker.WithGracefulTimeout(cfg.TaskShutdownGracefulTimeout),
	)
	if err != nil {
		return nil, err
	}
	// The herder needs the config store and the store needs the herder (for
	// its events): the herder starts with an empty view and gets the store.
	events := &configEvents{}
	kc, err := store.NewKafkaConfigs(ctx, base, cfg.ConfigStorageTopic, events)
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { _ = kc.Close() })
	dh := herder.NewDistributed(id, kc, d.statuses, ps.reg, wk, cfg.Resolver, log.Named("herder"))
	events.set(dh)
	dh.UseIsolation(ps.isolation())
	dh.UseOffsets(offsets, herder.NewKafkaGroupOffsets(adm))
	h = dh.Herder
	d.herder = dh

	drainer, err := newDrainer(props, id, dh, wk, log)
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, drainer.Close)
	met.Registry().MustRegister(newDrainDepth(drainer, log.Named("dlq")))
	opts := append(restOptions(cfg, id, levels, met, d, drainer, ps),
		rest.WithRoute("GET", "/cluster", rest.RoleViewer, clusterHandler(dh)))
	opts = append(opts, rest.WithForwarding(func() (string, bool, bool) { return member.Leader() }),
		rest.WithSessionKey(func() (cur, prev []byte, ok bool) {
			c, p, ok := kc.SessionKeys()
			return c.Key, p.Key, ok
		}))
	if d.rest, err = rest.New(dh, ps.reg, log.Named("rest"), opts...); err != nil {
		return nil, err
	}
	if err := d.rest.Start(cfg.Listeners); err != nil {
		return nil, fmt.Errorf("REST listener: %w (set listeners= to a free address)", err)
	}
	url := advertisedURL(cfg, d.rest.URL())
	member = cluster.NewMember(admin, cluster.Config{
		Group: cfg.GroupID, Worker: id, URL: url,
		SessionTimeout: cfg.SessionTimeout, HeartbeatInterval: cfg.HeartbeatInterval, RebalanceTimeout: cfg.RebalanceTimeout,
		MaxDelay: cfg.ScheduledRebalanceMaxDelay, Log: log.Named("cluster"),
	}, dh)
	dh.Join(member)
	if err := dh.Start(ctx); err != nil {
		return nil, err
	}
	log.Info("distributed worker started", zap.String("group", cfg.GroupID), zap.String("rest_url", url))
	d.started.Store(true)
	return d, nil
}

// Started, Check and Ready make the worker a metrics.Probe for /readyz and
// /livez.
func (d *distributed) Started() bool { return d.started.Load() }

// Check answers when the herder answers.
func (d *distributed) Check(ctx context.Context) error {
	_, err := d.herder.Connectors(ctx)
	return err
}

// Ready reports whether the worker has joined a stable generation.
func (d *distributed) Ready() error {
	if !d.Started() {
		return errors.New("worker is starting")
	}
	if st := d.herder.Cluster(); !st.Stable {
		return fmt.Errorf("rebalancing (generation %d)", st.Generation)
	}
	return nil
}

// advertisedURL is the URL other workers reach this one at.
func advertisedURL(cfg config.Worker, bound string) string {
	if cfg.RESTAdvertisedHostName == "" && cfg.RESTAdvertisedPort == 0 && cfg.RESTAdvertisedListener == "" {
		return bound
	}
	scheme, host, port := "http", "", ""
	if u, err := parseURL(bound); err == nil {
		scheme, host, port = u[0], u[1], u[2]
	}
	if cfg.RESTAdvertisedListener != "" {
		scheme = cfg.RESTAdvertisedListener
	}
	if cfg.RESTAdvertisedHostName != "" {
		host = cfg.RESTAdvertisedHostName
	}
	if cfg.RESTAdvertisedPort != 0 {
		port = fmt.Sprint(cfg.RESTAdvertisedPort)
	}
	return scheme + "://" + host + ":" + port
}

func parseURL(s string) ([3]string, error) {
	var out [3]string
	var rest string
	switch {
	case len(s) > 8 && s[:8] == "https://":
		out[0], rest = "https", s[8:]
	case len(s) > 7 && s[:7] == "http://":
		out[0], rest = "http", s[7:]
	default:
		return out, errors.New("not a URL")
	}
	for i := len(rest) - 1; i >= 0; i-- {
		if rest[i] == ':' {
			out[1], out[2] = rest[:i], rest[i+1:]
			return out, nil
		}
	}
	return out, errors.New("no port")
}

// shutdown stops REST, then everything that runs here, then leaves the
// group and closes the stores.
func (d *distributed) shutdown(ctx context.Context) {
	if err := d.rest.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		d.log.Warn("REST shutdown", zap.Error(err))
	}
	d.herder.Shutdown(ctx)
	if d.statuses != nil {
		_ = d.statuses.Flush(ctx)
	}
	d.close()
	d.log.Info("worker stopped")
}

func (d *distributed) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.closers = nil
}

// configEvents passes the config store's events to the herder, which is
// created after the store.
type configEvents struct {
	h atomic.Pointer[herder.Distributed]
}

func (e *configEvents) set(h *herder.Distributed) { e.h.Store(h) }

func (e *configEvents) ConfigChanged(name string) {
	if h := e.h.Load(); h != nil {
		h.ConfigChanged(name)
	}
}

func (e *configEvents) RestartRequested(r store.RestartRequest) {
	if h := e.h.Load(); h != nil {
		h.RestartRequested(r)
	}
}

// clusterHandler serves GET /cluster: members, leader, generation and
// assignments.
func clusterHandler(h *herder.Distributed) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(h.Cluster())
	})
}

// runDistributed runs a distributed worker until ctx ends.
func runDistributed(ctx context.Context, props map[string]string, log *zap.Logger, levels *rest.Levels, stderr io.Writer) int {
	d, err := startDistributed(ctx, props, log, levels)
	if err != nil {
		fmt.Fprintf(stderr, "freshet worker: %v\n", err)
		return 1
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d.shutdown(sctx)
	return 0
}
