package distributed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// env is what the tests need: the binary and Kafka (copied in small from
// tests/e2e's harness, which this package may not import).
type env struct {
	bin       string
	bootstrap string
}

func setup(t *testing.T) *env {
	t.Helper()
	if os.Getenv("FRESHET_E2E") != "1" {
		t.Skip("end-to-end test against real Kafka: run `make e2e` (sets FRESHET_E2E=1)")
	}
	e := &env{bin: os.Getenv("FRESHET_BIN"), bootstrap: os.Getenv("FRESHET_KAFKA_BOOTSTRAP")}
	if e.bin == "" || e.bootstrap == "" {
		t.Fatal("FRESHET_BIN and FRESHET_KAFKA_BOOTSTRAP must be set (make build; source ${FRESHET_SERVICES_DIR:-/tmp/freshet-services}/env)")
	}
	cl := e.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).BrokerMetadata(ctx); err != nil {
		t.Fatalf("kafka at %s is not reachable (tests/services/up.sh kafka): %v", e.bootstrap, err)
	}
	return e
}

func (e *env) client(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(e.bootstrap)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%s-%04x", prefix, strconv.FormatInt(time.Now().UnixMilli(), 36), rand.IntN(1<<16))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// worker is one freshet process of the cluster.
type worker struct {
	t       *testing.T
	bin     string
	props   string
	url     string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
}

// cluster starts n workers of one new group.
func (e *env) cluster(t *testing.T, n int, extra map[string]string) []*worker {
	return e.workers(t, uniqueName("dist"), 0, n, extra)
}

// join starts n more workers in the group of w.
func (e *env) join(t *testing.T, w *worker, n int) []*worker {
	return e.workers(t, w.prop(t, "group.id"), 10, n, nil)
}

// workers starts n workers of group, numbered from first.
func (e *env) workers(t *testing.T, group string, first, n int, extra map[string]string) []*worker {
	dir := t.TempDir()
	var ws []*worker
	for i := first; i < first+n; i++ {
		url := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
		props := map[string]string{
			"bootstrap.servers":                 e.bootstrap,
			"group.id":                          group,
			"config.storage.topic":              group + "-configs",
			"offset.storage.topic":              group + "-offsets",
			"status.storage.topic":              group + "-status",
			"config.storage.replication.factor": "1",
			"offset.storage.replication.factor": "1",
			"status.storage.replication.factor": "1",
			"offset.storage.partitions":         "5",
			"status.storage.partitions":         "2",
			"listeners":                         url,
			"session.timeout.ms":                "6000",
			"heartbeat.interval.ms":             "1000",
			"scheduled.rebalance.max.delay.ms":  "2000",
			"offset.flush.interval.ms":          "500",
			"key.converter":                     "org.apache.kafka.connect.storage.StringConverter",
			"value.converter":                   "org.apache.kafka.connect.storage.StringConverter",
			"consumer.session.timeout.ms":       "6000",
			"consumer.heartbeat.interval.ms":    "1000",
		}
		maps.Copy(props, extra)
		path := filepath.Join(dir, fmt.Sprintf("w%d.properties", i))
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(props)) {
			fmt.Fprintf(&b, "%s=%s\n", k, props[k])
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		w := &worker{t: t, bin: e.bin, props: path, url: url, logPath: filepath.Join(dir, fmt.Sprintf("w%d.log", i))}
		t.Cleanup(w.cleanup)
		w.start()
		ws = append(ws, w)
	}
	return ws
}

func (w *worker) start() {
	w.t.Helper()
	f, err := os.OpenFile(w.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(w.bin, "worker", w.props)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FRESHET_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.cmd, w.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(w.done)
}

func (w *worker) running() bool {
	if w.cmd == nil {
		return false
	}
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

func (w *worker) signal(sig syscall.Signal) {
	w.t.Helper()
	if err := w.cmd.Process.Signal(sig); err != nil {
		w.t.Fatalf("signal %v: %v", sig, err)
	}
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM {
		select {
		case <-w.done:
		case <-time.After(40 * time.Second):
			w.t.Fatalf("worker %s did not exit after %v", w.url, sig)
		}
	}
}

func (w *worker) cleanup() {
	if w.running() {
		_ = w.cmd.Process.Signal(syscall.SIGCONT)
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(30 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.done
		}
	}
	if w.t.Failed() {
		b, _ := os.ReadFile(w.logPath)
		lines := strings.Split(string(b), "\n")
		w.t.Logf("last lines of %s:\n%s", w.logPath, strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}

var httpc = &http.Client{Timeout: 20 * time.Second}

// call sends a JSON request and decodes the JSON answer into out.
func call(method, url string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s: %w", b, err)
		}
	}
	return resp.StatusCode, nil
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, s := cond()
		if ok {
			return
		}
		last = s
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s (last: %s)", timeout, what, last)
}

// clusterState is GET /cluster.
type clusterState struct {
	Worker     string `json:"worker"`
	Generation int32  `json:"generation"`
	Leader     string `json:"leader"`
	Stable     bool   `json:"stable"`
	Members    []struct {
		Worker     string   `json:"worker"`
		Connectors []string `json:"connectors"`
		Tasks      []string `json:"tasks"`
	} `json:"members"`
}

type connStatus struct {
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"connector"`
	Tasks []struct {
		ID       int    `json:"id"`
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"tasks"`
}

// readLines reads topic from the start until it holds want distinct values
// or timeout passes, and returns the distinct values and the record count.
func (e *env) readLines(t *testing.T, topic string, want int, timeout time.Duration) (map[string]int, int) {
	t.Helper()
	cl := e.client(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]int{}
	total := 0
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for len(seen) < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			seen[string(r.Value)]++
			total++
		})
	}
	return seen, total
}
