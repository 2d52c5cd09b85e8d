package observability

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// env is what the tests need from tests/services: Kafka and Prometheus.
type env struct {
	*e2etest.Kafka
	prometheus string // Prometheus' base URL
	targets    string // Prometheus' file_sd directory
}

// setup skips the test unless FRESHET_E2E=1; then it fails the test when a
// server is not set up or does not answer.
func setup(t *testing.T) env {
	t.Helper()
	e := env{
		Kafka:      e2etest.NewKafka(t),
		prometheus: e2etest.Getenv(t, "FRESHET_PROMETHEUS_URL"),
		targets:    e2etest.Getenv(t, "FRESHET_PROMETHEUS_TARGETS_DIR"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.prometheus+"/-/ready", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("prometheus at %s is not reachable (tests/services/up.sh prometheus): %v", e.prometheus, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("prometheus at %s is not ready: %s", e.prometheus, resp.Status)
	}
	if fi, err := os.Stat(e.targets); err != nil || !fi.IsDir() {
		t.Fatalf("FRESHET_PROMETHEUS_TARGETS_DIR=%s is not a directory: %v", e.targets, err)
	}
	return e
}

// scrape makes Prometheus scrape addr, labelled run=id, until the test ends.
func (e env) scrape(t *testing.T, id, addr string) {
	t.Helper()
	path := filepath.Join(e.targets, id+".json")
	b, _ := json.Marshal([]map[string]any{{"targets": []string{addr}, "labels": map[string]string{"run": id}}})
	tmp := path + ".tmp" // Prometheus reads *.json only: rename so it never sees half a file
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
}

// sample is one element of an instant query's result.
type sample struct {
	Metric map[string]string
	Value  float64
}

// query runs an instant PromQL query.
func (e env) query(t *testing.T, q string) []sample {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.prometheus+"/api/v1/query?query="+url.QueryEscape(q), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %s %v %s", q, resp.Status, err, body.Error)
	}
	out := make([]sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", q, r.Value, err)
		}
		out = append(out, sample{r.Metric, v})
	}
	return out
}

// eventually runs a query until check accepts its result, and fails the
// test with the last result after d.
func (e env) eventually(t *testing.T, d time.Duration, q string, check func([]sample) bool) []sample {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		res := e.query(t, q)
		if check(res) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %s returns %v", d, q, res)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// byLabel indexes samples by one label's value.
func byLabel(res []sample, label string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range res {
		out[s.Metric[label]] = s.Value
	}
	return out
}
