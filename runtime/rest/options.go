package rest

import (
	"net/http"
	"time"
)

// Option configures a Server.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	authFile          string
	certFile, keyFile string
	workerID          string
	version, commit   string
	clusterID         func() string
	levels            *Levels
	requestTimeout    time.Duration
	topicTracking     bool
	topicReset        bool
	extra             []route
	freshness         func(connector string) (any, bool)
	leader            Leader      // nil: standalone, nothing is forwarded
	sessionKeys       SessionKeys // nil: forwarded requests are not signed
}

func defaultOptions() options {
	return options{
		version:        "unknown",
		requestTimeout: 90 * time.Second, // Kafka Connect's request timeout
		topicTracking:  true,
		topicReset:     true,
	}
}

// WithAuth turns on authentication with the credentials in file: one line
// per credential, "KIND NAME ROLE HASH", KIND token or basic, ROLE viewer,
// operator or admin, HASH from HashToken or HashPassword. Without it the API
// is open to whoever reaches the listener (the default listener is loopback).
func WithAuth(file string) Option { return optionFunc(func(o *options) { o.authFile = file }) }

// WithTLS sets the certificate and key (PEM files) that https:// listeners
// serve.
func WithTLS(certFile, keyFile string) Option {
	return optionFunc(func(o *options) { o.certFile, o.keyFile = certFile, keyFile })
}

// WithWorkerID sets the worker id shown in statuses when the herder leaves
// it empty.
func WithWorkerID(id string) Option { return optionFunc(func(o *options) { o.workerID = id }) }

// WithVersion sets the version GET / reports.
func WithVersion(v string) Option { return optionFunc(func(o *options) { o.version = v }) }

// WithCommit sets the commit GET / reports.
func WithCommit(c string) Option { return optionFunc(func(o *options) { o.commit = c }) }

// WithClusterID sets how GET / learns the Kafka cluster id (asked per
// request, so it may become known after start).
func WithClusterID(f func() string) Option { return optionFunc(func(o *options) { o.clusterID = f }) }

// WithLoggers lets /admin/loggers read and change the log levels in l.
// Without it those endpoints report only the root logger and refuse changes.
func WithLoggers(l *Levels) Option { return optionFunc(func(o *options) { o.levels = l }) }

// WithRequestTimeout bounds each herder call (90 s by default); a call that
// takes longer gets Kafka Connect's 500 "Request timed out".
func WithRequestTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.requestTimeout = d
		}
	})
}

// WithTopicTracking mirrors topic.tracking.enable and
// topic.tracking.allow.reset: when off, the topics endpoints answer 403.
func WithTopicTracking(enable, allowReset bool) Option {
	return optionFunc(func(o *options) { o.topicTracking, o.topicReset = enable, allowReset })
}

// WithRoute serves h at method and pattern (segments in braces match one
// path segment) for callers with at least role: the worker mounts /metrics,
// /readyz, /livez, pprof and the dead-letter endpoints this way.
func WithRoute(method, pattern string, role Role, h http.Handler) Option {
	return optionFunc(func(o *options) {
		o.extra = append(o.extra, route{method: method, pattern: pattern, role: role, segs: splitPattern(pattern),
			serve: func(_ *Server, w http.ResponseWriter, r *http.Request, _ params) error {
				h.ServeHTTP(w, r)
				return nil
			}})
	})
}

// WithFreshness adds a "freshness" object to connector statuses, from f.
func WithFreshness(f func(connector string) (any, bool)) Option {
	return optionFunc(func(o *options) { o.freshness = f })
}
