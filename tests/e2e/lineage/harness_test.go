package lineage

// Small helpers copied from tests/e2e/harness_test.go (package e2e cannot be
// imported): environment, a worker process, connector status.

import (
	"bufio"
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

// env is what the test needs from its environment.
type env struct {
	bin       string
	bootstrap string
	pgURL     string
	redisAddr string
}

// setup skips the test unless FRESHET_E2E=1; then it fails the test when the
// binary or a server's variable is missing. Variables come from the
// environment, else from $FRESHET_SERVICES_DIR/env.
func setup(t *testing.T) *env {
	t.Helper()
	if os.Getenv("FRESHET_E2E") != "1" {
		t.Skip("end-to-end test: set FRESHET_E2E=1, run tests/services/up.sh kafka postgres redis and build FRESHET_BIN")
	}
	file := servicesEnv()
	need := func(k string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		if v := file[k]; v != "" {
			return v
		}
		t.Fatalf("%s is not set: start the servers with tests/services/up.sh kafka postgres redis, "+
			"then source ${FRESHET_SERVICES_DIR:-/tmp/freshet-services}/env", k)
		return ""
	}
	e := &env{
		bin:       need("FRESHET_BIN"),
		bootstrap: need("FRESHET_KAFKA_BOOTSTRAP"),
		pgURL:     need("FRESHET_POSTGRES_URL"),
		redisAddr: need("FRESHET_REDIS_ADDR"),
	}
	if fi, err := os.Stat(e.bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("FRESHET_BIN=%s is not an executable file (go build -o bin/freshet ./cmd/freshet): %v", e.bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(e.client(t)).BrokerMetadata(ctx); err != nil {
		t.Fatalf("kafka at %s is not reachable (tests/services/up.sh kafka): %v", e.bootstrap, err)
	}
	return e
}

// servicesEnv reads the exports of $FRESHET_SERVICES_DIR/env.
func servicesEnv() map[string]string {
	dir := os.Getenv("FRESHET_SERVICES_DIR")
	if dir == "" {
		dir = "/tmp/freshet-services"
	}
	f, err := os.Open(filepath.Join(dir, "env"))
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[k] = strings.Trim(v, `'"`)
	}
	return out
}

// client returns a kgo client, closed at cleanup.
func (e *env) client(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(e.bootstrap)}, opts...)...)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// uniqueName returns prefix plus a suffix no other run uses, made of
// characters valid in topics, table names and Redis keys.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%s_%04x", prefix, strconv.FormatInt(time.Now().UnixMilli(), 36), rand.IntN(1<<16))
}

// createTopic creates a topic and deletes it when the test ends.
func (e *env) createTopic(t *testing.T, name string, partitions int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(e.client(t)).CreateTopic(ctx, partitions, 1, nil, name); err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(e.bootstrap))
		if err != nil {
			return
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := kadm.NewClient(cl).DeleteTopics(ctx, name); err != nil {
			t.Logf("delete topic %s: %v", name, err)
		}
	})
}

// fetchAt reads the one record at topic/partition/offset.
func (e *env) fetchAt(t *testing.T, topic string, partition int32, offset int64) *kgo.Record {
	t.Helper()
	cl := e.client(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {partition: kgo.NewOffset().At(offset)},
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("fetch %s/%d@%d: %v", topic, partition, offset, err)
		}
		for _, fe := range fs.Errors() {
			t.Fatalf("fetch %s/%d@%d: %v", topic, partition, offset, fe.Err)
		}
		for _, r := range fs.Records() {
			if r.Offset == offset {
				return r
			}
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeProperties writes props as a Java properties file, sorted by key.
func writeProperties(t *testing.T, path string, props map[string]string) {
	t.Helper()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(props)) {
		v := strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(props[k])
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeConnector writes a connector file in connect-standalone's JSON form.
func writeConnector(t *testing.T, dir, name string, cfg map[string]string) string {
	t.Helper()
	cfg = maps.Clone(cfg)
	cfg["name"] = name
	b, err := json.MarshalIndent(map[string]any{"name": name, "config": cfg}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// worker is one freshet worker process.
type worker struct {
	t       *testing.T
	url     string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// startWorker writes the worker's files into dir and starts a standalone
// worker running connectors; it is stopped at cleanup.
func (e *env) startWorker(t *testing.T, dir string, connectors map[string]map[string]string) *worker {
	t.Helper()
	props := map[string]string{
		"bootstrap.servers":              e.bootstrap,
		"listeners":                      fmt.Sprintf("http://127.0.0.1:%d", freePort(t)),
		"offset.storage.file.filename":   filepath.Join(dir, "connect.offsets"),
		"freshet.config.storage.file":    filepath.Join(dir, "connect.configs"),
		"offset.flush.interval.ms":       "1000",
		"key.converter":                  "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	}
	wp := filepath.Join(dir, "worker.properties")
	writeProperties(t, wp, props)
	args := []string{"worker", wp}
	for _, name := range slices.Sorted(maps.Keys(connectors)) {
		args = append(args, writeConnector(t, dir, name, connectors[name]))
	}
	w := &worker{t: t, url: props["listeners"], logPath: filepath.Join(dir, "worker.log"), done: make(chan struct{})}
	f, err := os.Create(w.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w.cmd = exec.Command(e.bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FRESHET_") {
			w.cmd.Env = append(w.cmd.Env, kv)
		}
	}
	w.cmd.Stdout, w.cmd.Stderr = f, f
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", e.bin, err)
	}
	go func() { w.waitErr = w.cmd.Wait(); close(w.done) }()
	t.Cleanup(w.stop)
	return w
}

func (w *worker) running() bool {
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits; it logs the end of the log if the test failed.
func (w *worker) stop() {
	if w.running() {
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
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		w.t.Logf("last lines of %s:\n%s", w.logPath, strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}

// waitFor polls cond every 200ms until it holds, failing the test with
// cond's last explanation after timeout, or at once if the worker exits.
func (w *worker) waitFor(timeout time.Duration, what string, cond func() (bool, string)) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if !w.running() {
			w.t.Fatalf("worker exited (%v) while waiting for %s", w.waitErr, what)
		}
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitRunning waits until the connector and all its tasks run.
func (w *worker) waitRunning(name string, timeout time.Duration) {
	w.t.Helper()
	w.waitFor(timeout, "connector "+name+" to be RUNNING", func() (bool, string) {
		c := http.Client{Timeout: 5 * time.Second}
		resp, err := c.Get(w.url + "/connectors/" + name + "/status")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var st struct {
			Connector struct{ State string }   `json:"connector"`
			Tasks     []struct{ State string } `json:"tasks"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &st) != nil {
			return false, resp.Status + ": " + string(body)
		}
		if st.Connector.State != "RUNNING" || len(st.Tasks) == 0 {
			return false, string(body)
		}
		for _, task := range st.Tasks {
			if task.State != "RUNNING" {
				return false, string(body)
			}
		}
		return true, ""
	})
}
