package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
	"github.com/freshet-dev/freshet/runtime/config"
	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/kafka"
	"github.com/freshet-dev/freshet/runtime/metrics"
	"github.com/freshet-dev/freshet/runtime/plugin"
	"github.com/freshet-dev/freshet/runtime/plugin/host"
	"github.com/freshet-dev/freshet/runtime/rest"
)

// What standalone and distributed workers share: the plugins, the
// dead-letter drainer and the REST routes beyond Kafka Connect's.

// pluginSet is the built-in connectors plus the plugin binaries found in
// plugin.path.
type pluginSet struct {
	reg      *plugin.Registry
	host     *host.Host
	settings host.Settings
	log      *zap.Logger
}

func loadPlugins(ctx context.Context, props map[string]string, log *zap.Logger) (*pluginSet, error) {
	reg, err := newRegistry()
	if err != nil {
		return nil, err
	}
	settings, err := host.ParseSettings(props)
	if err != nil {
		return nil, fmt.Errorf("invalid worker config:\n%w", err)
	}
	h, err := host.New(log.Named("plugin"), settings.Options()...)
	if err != nil {
		return nil, err
	}
	ps := &pluginSet{reg: reg, host: h, settings: settings, log: log}
	_, _ = ps.rescan(ctx) // refused binaries are logged and must not stop the worker
	return ps, nil
}

// rescan registers the plugin binaries not known yet and returns them; the
// error lists the binaries it refused, with why.
func (ps *pluginSet) rescan(ctx context.Context) ([]sdk.Plugin, error) {
	found, err := ps.host.Rescan(ctx)
	if err != nil {
		ps.log.Error("some plugin binaries were refused", zap.Error(err))
	}
	var added []sdk.Plugin
	for _, p := range found {
		if ps.reg.Has(p.Name) {
			continue
		}
		if rerr := ps.reg.Register(p); rerr != nil {
			ps.log.Error("plugin not registered", zap.String("plugin", p.Name), zap.Error(rerr))
			continue
		}
		added = append(added, p)
	}
	return added, err
}

// isolation runs a built-in in its own process (`freshet plugin serve
// NAME`) when plugin.isolation says so; discovered plugins are processes
// already.
func (ps *pluginSet) isolation() func(sdk.Plugin, map[string]string) sdk.Plugin {
	return func(p sdk.Plugin, cfg map[string]string) sdk.Plugin {
		if !ps.settings.Isolated(cfg) || !isBuiltin(p.Name) {
			return p
		}
		cmd, err := host.ServeCommand(p.Name)
		if err != nil {
			ps.log.Error("cannot isolate plugin; running it in-process", zap.String("plugin", p.Name), zap.Error(err))
			return p
		}
		return ps.host.Isolate(p, cmd)
	}
}

func isBuiltin(name string) bool {
	for _, b := range builtins() {
		if b.Name == name {
			return true
		}
	}
	return false
}

// connectorLister is what the drainer needs of a herder.
type connectorLister interface {
	Connectors(ctx context.Context) ([]string, error)
	Connector(ctx context.Context, name string) (herder.Info, error)
}

// newDrainer builds the dead-letter drainer, finding each connector's
// dead-letter topic through h and replaying into sinks through replayer.
func newDrainer(props map[string]string, id string, h connectorLister, replayer dlq.SinkReplayer, log *zap.Logger) (*dlq.Drainer, error) {
	opts, err := kafka.ClientOpts(kafka.Scoped(props, kafka.ProducerPrefix))
	if err != nil {
		return nil, fmt.Errorf("dead-letter client config: %w", err)
	}
	configs := dlq.ConnectorsFunc(func(ctx context.Context) (map[string]map[string]string, error) {
		names, err := h.Connectors(ctx)
		if err != nil {
			return nil, err
		}
		out := make(map[string]map[string]string, len(names))
		for _, n := range names {
			if info, err := h.Connector(ctx, n); err == nil {
				out[n] = info.Config
			}
		}
		return out, nil
	})
	return dlq.New(opts, dlq.WithConnectors(configs), dlq.WithSinkReplayer(replayer), dlq.WithWorkerID(id), dlq.WithLogger(log.Named("dlq")))
}

// restOptions are the REST options every worker has: identity, log levels,
// metrics and freshness, health, dead letters, plugin rescan, auth and TLS.
func restOptions(cfg config.Worker, id string, levels *rest.Levels, met *metrics.Collector, probe metrics.Probe,
	drainer *dlq.Drainer, ps *pluginSet) []rest.Option {
	opts := []rest.Option{
		rest.WithVersion(version), rest.WithWorkerID(id), rest.WithLoggers(levels),
		rest.WithTopicTracking(cfg.TopicTrackingEnable, cfg.TopicTrackingReset),
		rest.WithFreshness(func(name string) (any, bool) { return met.Freshness(name) }),
		rest.WithRoute("GET", "/metrics", rest.RoleNone, met.Handler()),
		rest.WithRoute("GET", "/readyz", rest.RoleNone, metrics.ReadyHandler(probe)),
		rest.WithRoute("GET", "/livez", rest.RoleNone, metrics.LiveHandler(probe, 0)),
		rest.WithRoute("POST", "/connector-plugins/rescan", rest.RoleAdmin, rescanHandler(ps.rescan)),
	}
	dh := dlq.NewHandler(drainer)
	for _, p := range dlq.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		role := rest.RoleViewer
		if method != "GET" {
			role = rest.RoleOperator
		}
		opts = append(opts, rest.WithRoute(method, path, role, dh))
	}
	if cfg.PprofEnable {
		pp := metrics.PprofHandler()
		opts = append(opts, rest.WithRoute("GET", "/debug/pprof/", rest.RoleAdmin, pp), rest.WithRoute("GET", "/debug/pprof/{profile}", rest.RoleAdmin, pp))
	}
	if cfg.RESTAuthFile != "" {
		opts = append(opts, rest.WithAuth(cfg.RESTAuthFile))
	}
	if cfg.RESTTLSCert != "" {
		opts = append(opts, rest.WithTLS(cfg.RESTTLSCert, cfg.RESTTLSKey))
	}
	return opts
}

// rescanHandler serves POST /connector-plugins/rescan: it lists the plugins
// the scan added, and the binaries it refused, with why.
func rescanHandler(rescan func(context.Context) ([]sdk.Plugin, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		added, err := rescan(r.Context())
		type entry struct {
			Class   string `json:"class"`
			Type    string `json:"type"`
			Version string `json:"version"`
		}
		body := struct {
			Added   []entry  `json:"added"`
			Refused []string `json:"refused,omitempty"`
		}{Added: []entry{}}
		for _, p := range added {
			body.Added = append(body.Added, entry{p.Name, string(p.Kind), p.Version})
		}
		if err != nil {
			body.Refused = strings.Split(err.Error(), "\n")
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
}
