package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/runtime/metrics"
)

// probe is a worker whose answers the test sets. A wedged probe blocks in
// Check until the request's deadline, as a herder stuck in a rebalance does.
type probe struct {
	started bool
	wedged  bool
	checkErr,
	readyErr error
}

func (p probe) Started() bool { return p.started }
func (p probe) Ready() error  { return p.readyErr }
func (p probe) Check(ctx context.Context) error {
	if p.wedged {
		<-ctx.Done()
		return ctx.Err()
	}
	return p.checkErr
}

func get(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestHealth(t *testing.T) {
	for _, tc := range []struct {
		name     string
		p        probe
		wantCode int
		wantBody string
	}{
		{"healthy", probe{started: true}, 200,
			`{"status":"healthy","message":"Worker has completed startup and is ready to handle requests."}`},
		{"starting", probe{}, 503, `{"status":"starting","message":"Worker is still starting up."}`},
		{"wedged", probe{started: true, wedged: true}, 500,
			`{"status":"unhealthy","message":"Worker was unable to handle this request and may be unable to handle other requests. context deadline exceeded"}`},
		{"check fails", probe{started: true, checkErr: errors.New("herder stopped")}, 500,
			`{"status":"unhealthy","message":"Worker was unable to handle this request and may be unable to handle other requests. herder stopped"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, metrics.HealthHandler(tc.p, 50*time.Millisecond), "GET", "/health")
			if code != tc.wantCode || strings.TrimSpace(body) != tc.wantBody {
				t.Errorf("GET /health = %d %s, want %d %s", code, body, tc.wantCode, tc.wantBody)
			}
		})
	}
}

func TestReadyAndLive(t *testing.T) {
	for _, tc := range []struct {
		name                string
		p                   probe
		wantReady, wantLive int
		wantReadyBody       string
	}{
		{"running", probe{started: true}, 200, 200, "ok"},
		{"starting", probe{}, 503, 200, "not ready: Worker is still starting up."},
		{"tasks not started", probe{started: true, readyErr: errors.New("2 of 3 tasks are not running")}, 503, 200, "not ready: 2 of 3 tasks are not running"},
		{"wedged", probe{started: true, wedged: true}, 200, 500, "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, metrics.ReadyHandler(tc.p), "GET", "/readyz")
			if code != tc.wantReady || strings.TrimSpace(body) != tc.wantReadyBody {
				t.Errorf("GET /readyz = %d %q, want %d %q", code, body, tc.wantReady, tc.wantReadyBody)
			}
			if code, body := get(t, metrics.LiveHandler(tc.p, 50*time.Millisecond), "GET", "/livez"); code != tc.wantLive {
				t.Errorf("GET /livez = %d %q, want %d", code, body, tc.wantLive)
			}
		})
	}
}

func TestHealthEndpointsAreReadOnly(t *testing.T) {
	p := probe{started: true}
	for _, h := range []http.Handler{metrics.HealthHandler(p, 0), metrics.ReadyHandler(p), metrics.LiveHandler(p, 0)} {
		if code, _ := get(t, h, "POST", "/"); code != http.StatusMethodNotAllowed {
			t.Errorf("POST = %d, want 405", code)
		}
	}
}

func TestPprof(t *testing.T) {
	code, body := get(t, metrics.PprofHandler(), "GET", "/debug/pprof/goroutine?debug=1")
	if code != 200 || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("GET /debug/pprof/goroutine = %d %.80q", code, body)
	}
}
