package metrics

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"time"
)

// Probe is what the health endpoints ask the worker. The herder (or the
// command that wires it) implements it.
type Probe interface {
	// Started reports whether the worker has completed startup: stores
	// loaded, REST listening, the herder's first pass done.
	Started() bool
	// Check asks the herder's loop to respond, as Kafka Connect's health
	// check runs a no-op through the herder's request queue. It must return
	// once ctx is done; an error (ctx's included) means unhealthy.
	Check(ctx context.Context) error
	// Ready returns nil when the worker has joined its cluster (a standalone
	// worker: loaded its configs) and every task assigned to it has started;
	// otherwise an error saying what is missing.
	Ready() error
}

// HealthCheckTimeout is how long GET /health waits for Probe.Check: Kafka
// Connect's 10 s health-check timeout.
const HealthCheckTimeout = 10 * time.Second

// The health bodies, worded as Kafka Connect 3.9's WorkerStatus (KIP-1017).
const (
	msgHealthy   = "Worker has completed startup and is ready to handle requests."
	msgStarting  = "Worker is still starting up."
	msgUnhealthy = "Worker was unable to handle this request and may be unable to handle other requests."
)

type healthBody struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// HealthHandler serves GET /health with Kafka Connect 3.9's semantics: 200
// {"status":"healthy",...} when the herder answers within timeout
// (HealthCheckTimeout when ≤ 0), 503 {"status":"starting",...} while
// startup is not complete, 500 {"status":"unhealthy",...} when a started
// worker does not answer.
func HealthHandler(p Probe, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		timeout = HealthCheckTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowGet(w, r) {
			return
		}
		if !p.Started() {
			writeJSON(w, http.StatusServiceUnavailable, healthBody{"starting", msgStarting})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if err := p.Check(ctx); err != nil {
			writeJSON(w, http.StatusInternalServerError, healthBody{"unhealthy", msgUnhealthy + " " + err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, healthBody{"healthy", msgHealthy})
	})
}

// ReadyHandler serves GET /readyz: 200 "ok" when the worker is started and
// Probe.Ready returns nil, else 503 with the reason, for an orchestrator's
// readiness probe.
func ReadyHandler(p Probe) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowGet(w, r) {
			return
		}
		if !p.Started() {
			plain(w, http.StatusServiceUnavailable, "not ready: "+msgStarting)
			return
		}
		if err := p.Ready(); err != nil {
			plain(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		plain(w, http.StatusOK, "ok")
	})
}

// LiveHandler serves GET /livez: 200 "ok" while the herder's loop answers
// within timeout (HealthCheckTimeout when ≤ 0), 500 otherwise, so that an
// orchestrator restarts a wedged process. A worker still starting is alive.
func LiveHandler(p Probe, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		timeout = HealthCheckTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowGet(w, r) {
			return
		}
		if !p.Started() {
			plain(w, http.StatusOK, "ok")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if err := p.Check(ctx); err != nil {
			plain(w, http.StatusInternalServerError, "not live: "+err.Error())
			return
		}
		plain(w, http.StatusOK, "ok")
	})
}

// PprofHandler serves Go's profiles under /debug/pprof/. Mount it only when
// the worker's freshet.pprof.enable is true (off by default): profiles show
// memory and can cost CPU on demand.
func PprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func allowGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	plain(w, http.StatusMethodNotAllowed, "method not allowed")
	return false
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

func plain(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}
