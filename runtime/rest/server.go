package rest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/plugin"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// Herder is what the REST API asks of the connector lifecycle.
// *herder.Herder satisfies it implicitly; tests pass a fake.
type Herder interface {
	Connectors(ctx context.Context) ([]string, error)
	Connector(ctx context.Context, name string) (herder.Info, error)
	Status(name string) (herder.Status, error)
	// PutConnector creates or replaces a connector and reports whether it
	// created it. An empty target keeps the current one (STARTED if new).
	PutConnector(ctx context.Context, name string, cfg map[string]string, target store.TargetState) (bool, error)
	DeleteConnector(ctx context.Context, name string) error
	SetTarget(ctx context.Context, name string, target store.TargetState) error
	Restart(ctx context.Context, name string, opt herder.RestartOptions) error
	RestartTask(ctx context.Context, id worker.TaskID) error
	Validate(ctx context.Context, cfg map[string]string) error
	Plugin(cfg map[string]string) (sdk.Plugin, error)

	// Offsets in Kafka Connect's form (sinks: kafka_topic, kafka_partition →
	// kafka_offset). AlterOffsets and ResetOffsets need a STOPPED connector.
	Offsets(ctx context.Context, name string) ([]sdk.Position, error)
	AlterOffsets(ctx context.Context, name string, offsets []sdk.Position) error
	ResetOffsets(ctx context.Context, name string) error

	// Topics are the topics a connector has used since the last reset.
	Topics(ctx context.Context, name string) ([]string, error)
	ResetTopics(ctx context.Context, name string) error
}

// DefaultListener is where the API listens unless told otherwise: loopback
// only, unlike Kafka Connect's all-interfaces default.
const DefaultListener = "http://127.0.0.1:8083"

// MaxBodyBytes is the largest request body accepted; larger bodies get 413.
const MaxBodyBytes = 1 << 20

// Server serves the REST API on one or more listeners.
type Server struct {
	h       Herder
	plugins *plugin.Registry
	log     *zap.Logger
	opts    options
	routes  []route
	creds   *credentials // nil: no authentication
	tlsCfg  *tls.Config  // nil: https listeners are refused

	// writeMu serialises create and PATCH, which read before they write.
	writeMu sync.Mutex

	mu      sync.Mutex
	servers []*http.Server
	urls    []string
	wg      sync.WaitGroup
}

// New returns a server for h. It validates the options (credentials file,
// TLS key pair) once, here; nothing listens until Start.
func New(h Herder, plugins *plugin.Registry, log *zap.Logger, opts ...Option) (*Server, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if log == nil {
		log = zap.NewNop()
	}
	if plugins == nil {
		plugins, _ = plugin.NewRegistry()
	}
	s := &Server{h: h, plugins: plugins, log: log, opts: o, routes: append(routeTable(), o.extra...)}
	if o.authFile != "" {
		c, err := loadCredentials(o.authFile)
		if err != nil {
			return nil, fmt.Errorf("rest auth: %w", err)
		}
		s.creds = c
	}
	if o.certFile != "" || o.keyFile != "" {
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return nil, fmt.Errorf("rest tls: %w", err)
		}
		s.tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return s, nil
}

// Start listens on every listener (http://host:port or https://host:port;
// port 0 picks a free port) and serves in the background. With no listeners
// it uses DefaultListener. On error nothing is left listening.
func (s *Server) Start(listeners []string) error {
	if len(listeners) == 0 {
		listeners = []string{DefaultListener}
	}
	type bound struct {
		l   net.Listener
		url string
	}
	var bs []bound
	closeAll := func() {
		for _, b := range bs {
			_ = b.l.Close()
		}
	}
	for _, raw := range listeners {
		scheme, addr, err := parseListener(raw)
		if err != nil {
			closeAll()
			return err
		}
		if scheme == "https" && s.tlsCfg == nil {
			closeAll()
			return fmt.Errorf("listener %s: https needs a certificate and key (listeners.https.ssl.* / WithTLS)", raw)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll()
			return fmt.Errorf("listen %s: %w", raw, err)
		}
		if scheme == "https" {
			l = tls.NewListener(l, s.tlsCfg)
		}
		bs = append(bs, bound{l, scheme + "://" + advertised(l.Addr())})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range bs {
		srv := &http.Server{
			Handler:           s,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       time.Minute,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          zap.NewStdLog(s.log.WithOptions(zap.IncreaseLevel(zap.WarnLevel))),
		}
		s.servers = append(s.servers, srv)
		s.urls = append(s.urls, b.url)
		s.wg.Add(1)
		go s.serve(srv, b.l)
	}
	s.log.Info("REST API listening", zap.Strings("urls", s.urls), zap.Bool("auth", s.creds != nil))
	return nil
}

func (s *Server) serve(srv *http.Server, l net.Listener) {
	defer s.wg.Done()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("REST listener stopped", zap.Error(err))
	}
}

// URL returns the first listener's URL, with the actual port; "" before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.urls) == 0 {
		return ""
	}
	return s.urls[0]
}

// Shutdown stops accepting requests, waits for those in flight within ctx,
// and waits for the serving goroutines.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = srv.Close()
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// parseListener splits "http://host:port" into scheme and address.
func parseListener(raw string) (scheme, addr string, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" && u.Path != "/" {
		return "", "", fmt.Errorf("listener %q: want http://host:port or https://host:port", raw)
	}
	if u.Port() == "" {
		return "", "", fmt.Errorf("listener %q: no port", raw)
	}
	return u.Scheme, u.Host, nil
}

// advertised is host:port for a bound address; an unspecified host (":8083",
// "0.0.0.0") becomes the machine's host name, as Kafka Connect advertises.
func advertised(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := ta.IP.String()
	if ta.IP.IsUnspecified() {
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		} else {
			host = "127.0.0.1"
		}
	}
	return net.JoinHostPort(host, fmt.Sprint(ta.Port))
}
