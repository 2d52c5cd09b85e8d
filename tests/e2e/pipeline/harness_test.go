package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/tests/e2e/sinks"
)

const (
	jsonConverter   = "org.apache.kafka.connect.json.JsonConverter"
	stringConverter = "org.apache.kafka.connect.storage.StringConverter"
)

// env is one test's view of the servers: the binary, Kafka, its own
// PostgreSQL schema and its own Redis key prefix (both removed at cleanup).
type env struct {
	t         *testing.T
	bin       string
	bootstrap string
	pgURL     string
	redisAddr string
	schema    string // PostgreSQL schema of this test
	prefix    string // lower-case, unique: topic and key prefix of this test
	pg        *pgx.Conn
	rd        *goredis.Client
	kc        *kgo.Client
	adm       *kadm.Client
}

// setup skips unless FRESHET_E2E=1, then fails when anything is missing.
func setup(t *testing.T) *env {
	t.Helper()
	if os.Getenv("FRESHET_E2E") != "1" {
		t.Skip("end-to-end test against real servers: set FRESHET_E2E=1 after tests/services/up.sh kafka postgres redis")
	}
	file := servicesEnv()
	need := func(k string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		if v := file[k]; v != "" {
			return v
		}
		t.Fatalf("%s is not set: start the servers with tests/services/up.sh kafka postgres redis "+
			"(it writes ${FRESHET_SERVICES_DIR:-/tmp/freshet-services}/env)", k)
		return ""
	}
	e := &env{
		t:         t,
		bin:       need("FRESHET_BIN"),
		bootstrap: need("FRESHET_KAFKA_BOOTSTRAP"),
		pgURL:     need("FRESHET_POSTGRES_URL"),
		redisAddr: need("FRESHET_REDIS_ADDR"),
		prefix:    fmt.Sprintf("pl%s%04x", strconv.FormatInt(time.Now().UnixMilli(), 36), rand.IntN(1<<16)),
	}
	e.schema = e.prefix
	if fi, err := os.Stat(e.bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("FRESHET_BIN=%s is not an executable file (go build -o bin/freshet ./cmd/freshet): %v", e.bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	kc, err := kgo.NewClient(kgo.SeedBrokers(e.bootstrap), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e.kc, e.adm = kc, kadm.NewClient(kc)
	t.Cleanup(kc.Close)
	if _, err := e.adm.BrokerMetadata(ctx); err != nil {
		t.Fatalf("kafka at %s is not reachable (tests/services/up.sh kafka): %v", e.bootstrap, err)
	}

	e.pg, err = pgx.Connect(ctx, e.pgURL)
	if err != nil {
		t.Fatalf("PostgreSQL at %s is not reachable (tests/services/up.sh postgres): %v", e.pgURL, err)
	}
	e.exec("CREATE SCHEMA " + e.schema)
	t.Cleanup(func() {
		_, _ = e.pg.Exec(context.Background(), "DROP SCHEMA "+e.schema+" CASCADE")
		e.pg.Close(context.Background())
	})

	e.rd = goredis.NewClient(&goredis.Options{Addr: e.redisAddr, DisableIdentity: true})
	if err := e.rd.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s is not reachable (tests/services/up.sh redis): %v", e.redisAddr, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for _, pat := range []string{e.prefix + "*", "freshet:offsets:" + e.prefix + "*"} {
			keys, _ := e.rd.Keys(ctx, pat).Result()
			if len(keys) > 0 {
				e.rd.Del(ctx, keys...)
			}
		}
		e.rd.Close()
	})
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
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = strings.Trim(v, `'"`)
		}
	}
	return out
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pg.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// name returns a name unique to this test: its prefix, "_", suffix.
func (e *env) name(suffix string) string { return e.prefix + "_" + suffix }

// createTopic creates a topic (replication factor 1), deleted at cleanup.
func (e *env) createTopic(name string, partitions int32) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.adm.CreateTopic(ctx, partitions, 1, nil, name); err != nil {
		e.t.Fatalf("create topic %s: %v", name, err)
	}
	e.deleteTopicAtCleanup(name)
}

func (e *env) deleteTopicAtCleanup(name string) {
	bootstrap := e.bootstrap
	e.t.Cleanup(func() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
		if err != nil {
			return
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = kadm.NewClient(cl).DeleteTopics(ctx, name)
	})
}

// produce writes records and waits for every acknowledgement; it returns
// them with partition and offset set.
func (e *env) produce(recs ...*kgo.Record) []*kgo.Record {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := e.kc.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		e.t.Fatalf("produce: %v", err)
	}
	out := make([]*kgo.Record, len(res))
	for i, r := range res {
		out[i] = r.Record
	}
	return out
}

// endOffsets returns the log end offset of each partition of topic; a topic
// that does not exist has none.
func (e *env) endOffsets(topic string) map[int32]int64 {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	lo, err := e.adm.ListEndOffsets(ctx, topic)
	out := map[int32]int64{}
	if err != nil {
		e.t.Fatalf("list end offsets of %s: %v", topic, err)
	}
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			out[o.Partition] = o.Offset
		}
	})
	return out
}

func total(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// readTopic returns every record of topic up to its current end offsets.
func (e *env) readTopic(topic string) []*kgo.Record {
	e.t.Helper()
	end := e.endOffsets(topic)
	if total(end) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.bootstrap), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		e.t.Fatal(err)
	}
	defer cl.Close()
	next := map[int32]int64{}
	var out []*kgo.Record
	deadline := time.Now().Add(time.Minute)
	for {
		done := true
		for p, o := range end {
			if next[p] < o {
				done = false
			}
		}
		if done {
			return out
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("reading %s: got to %v of %v in a minute", topic, next, end)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < end[r.Partition] {
				out = append(out, r)
			}
			next[r.Partition] = r.Offset + 1
		})
	}
}

// waitFor polls cond every 200ms until it holds, failing after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
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

// newRand returns a generator seeded from the clock, or FRESHET_E2E_SEED.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FRESHET_E2E_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FRESHET_E2E_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("random schedule seed %d (FRESHET_E2E_SEED=%d replays it)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// --- configs ---------------------------------------------------------------

// pgSink returns a PostgreSQL sink config writing to this test's schema.
func (e *env) pgSink(topic string, kv ...string) map[string]string {
	cfg := map[string]string{
		"connector.class":       "postgres",
		"tasks.max":             "1",
		"topics":                topic,
		"connection.url":        e.pgURL,
		"table.name.format":     e.schema + ".${topic}",
		"freshet.offsets.table": e.schema + ".freshet_offsets",
		"retry.backoff.ms":      "100",
		"auto.create":           "true",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

// redisSink returns a Redis sink config.
func (e *env) redisSink(topic string, kv ...string) map[string]string {
	cfg := map[string]string{
		"connector.class":  "redis",
		"tasks.max":        "1",
		"topics":           topic,
		"redis.uri":        e.redisAddr,
		"retry.backoff.ms": "100",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

// dlqConfig is the dead-letter part of a connector config.
func dlqConfig(cfg map[string]string, topic string) map[string]string {
	cfg["errors.tolerance"] = "all"
	cfg["errors.deadletterqueue.topic.name"] = topic
	cfg["errors.deadletterqueue.topic.replication.factor"] = "1"
	cfg["errors.deadletterqueue.context.headers.enable"] = "true"
	return cfg
}

// --- the worker process ----------------------------------------------------

// worker is one standalone `freshet worker` process, restartable with the
// same files; every start appends to the same log.
type worker struct {
	t       *testing.T
	bin     string
	args    []string
	url     string
	logPath string
	props   map[string]string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	starts  int
}

// newWorker writes the worker's properties and connector files into a new
// temporary directory; the worker is not started.
func (e *env) newWorker(connectors map[string]map[string]string) *worker {
	t := e.t
	t.Helper()
	dir := t.TempDir()
	props := map[string]string{
		"bootstrap.servers":              e.bootstrap,
		"listeners":                      fmt.Sprintf("http://127.0.0.1:%d", freePort(t)),
		"offset.storage.file.filename":   filepath.Join(dir, "connect.offsets"),
		"freshet.config.storage.file":    filepath.Join(dir, "connect.configs"),
		"offset.flush.interval.ms":       "1000",
		"key.converter":                  stringConverter,
		"value.converter":                jsonConverter,
		"value.converter.schemas.enable": "false",
		"consumer.session.timeout.ms":    "6000",
		"consumer.heartbeat.interval.ms": "1000",
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(props)) {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	wp := filepath.Join(dir, "worker.properties")
	if err := os.WriteFile(wp, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"worker", wp}
	for _, name := range slices.Sorted(maps.Keys(connectors)) {
		cfg := maps.Clone(connectors[name])
		cfg["name"] = name
		body, _ := json.MarshalIndent(map[string]any{"name": name, "config": cfg}, "", "  ")
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	w := &worker{t: t, bin: e.bin, args: args, url: props["listeners"], logPath: filepath.Join(dir, "worker.log"), props: props}
	t.Cleanup(w.cleanup)
	return w
}

func (w *worker) cleanup() {
	if w.running() {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(20 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.done
		}
	}
	if w.t.Failed() {
		w.t.Logf("last lines of %s:\n%s", w.logPath, w.logTail(40))
	}
}

func (w *worker) start() {
	w.t.Helper()
	if w.running() {
		w.t.Fatalf("worker already running")
	}
	w.starts++
	f, err := os.OpenFile(w.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "{\"e2e\":\"worker start %d\",\"ts\":%q}\n", w.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(w.bin, w.args...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start %s: %v", w.bin, err)
	}
	done := make(chan struct{})
	w.cmd, w.done = cmd, done
	go func() {
		err := cmd.Wait()
		w.mu.Lock()
		w.waitErr = err
		w.mu.Unlock()
		close(done)
	}()
}

// childEnv is the test's environment without FRESHET_* variables, which
// would override the worker's properties.
func childEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FRESHET_") {
			out = append(out, kv)
		}
	}
	return out
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

func (w *worker) exitErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waitErr
}

// kill sends SIGKILL and waits for the process to be gone.
func (w *worker) kill() {
	w.t.Helper()
	if !w.running() {
		w.t.Fatalf("worker exited before it was killed: %v", w.exitErr())
	}
	_ = w.cmd.Process.Kill()
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		w.t.Fatalf("worker did not die within 10s of SIGKILL")
	}
}

// waitFor is waitFor that fails at once when the worker exits.
func (w *worker) waitFor(timeout time.Duration, what string, cond func() (bool, string)) {
	w.t.Helper()
	waitFor(w.t, timeout, what, func() (bool, string) {
		if !w.running() {
			w.t.Fatalf("worker exited (%v) while waiting for %s", w.exitErr(), what)
		}
		return cond()
	})
}

func (w *worker) logTail(n int) string {
	b, err := os.ReadFile(w.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func (w *worker) log() string {
	b, _ := os.ReadFile(w.logPath)
	return string(b)
}

// connectorStatus is Kafka Connect's GET /connectors/{name}/status.
type connectorStatus struct {
	Name      string    `json:"name"`
	Connector stateInfo `json:"connector"`
	Tasks     []struct {
		ID int `json:"id"`
		stateInfo
	} `json:"tasks"`
}

type stateInfo struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

func (s connectorStatus) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (w *worker) status(name string) (connectorStatus, error) {
	var st connectorStatus
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(w.url + "/connectors/" + name + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET status: %s: %s", resp.Status, body)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("GET status: %w: %s", err, body)
	}
	return st, nil
}

// waitRunning waits until each connector and all its tasks run.
func (w *worker) waitRunning(timeout time.Duration, names ...string) {
	w.t.Helper()
	for _, name := range names {
		w.waitFor(timeout, "connector "+name+" and its tasks to be RUNNING", func() (bool, string) {
			st, err := w.status(name)
			if err != nil {
				return false, err.Error()
			}
			if st.Connector.State != "RUNNING" || len(st.Tasks) == 0 {
				return false, st.String()
			}
			for _, task := range st.Tasks {
				if task.State != "RUNNING" {
					return false, st.String()
				}
			}
			return true, ""
		})
	}
}

// assertTasksRunning fails the test when a task of a connector is not
// RUNNING right now.
func (w *worker) assertTasksRunning(names ...string) {
	w.t.Helper()
	for _, name := range names {
		st, err := w.status(name)
		if err != nil {
			w.t.Errorf("status of %s: %v", name, err)
			continue
		}
		for _, task := range st.Tasks {
			if task.State != "RUNNING" {
				w.t.Errorf("task %d of %s is %s: %s", task.ID, name, task.State, task.Trace)
			}
		}
	}
}

// freshet runs the binary's CLI against this worker and returns its output.
func (w *worker) freshet(e *env, args ...string) (stdout, stderr string, code int) {
	w.t.Helper()
	cmd := w.command(e, args...)
	var o, er bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &er
	err := cmd.Run()
	var xe *exec.ExitError
	switch {
	case errors.As(err, &xe):
		code = xe.ExitCode()
	case err != nil:
		w.t.Fatalf("run freshet %v: %v", args, err)
	}
	return o.String(), er.String(), code
}

func (w *worker) command(e *env, args ...string) *exec.Cmd {
	full := append([]string{"dlq"}, args...)
	// The default audit topic: replays into the sink are journaled by the
	// worker, which does not take the CLI's --audit-topic.
	full = append(full, "--bootstrap-servers", e.bootstrap, "--url", w.url, "--who", "pipeline-e2e")
	cmd := exec.Command(e.bin, full...)
	cmd.Env = childEnv()
	return cmd
}

// --- records and references -------------------------------------------------

// rec is one record the tests produce: a string key and a JSON value (nil for
// a tombstone), or raw bytes that are not a JSON object.
type rec struct {
	key   string
	value map[string]any
	raw   []byte // sent instead of value when set
}

func (r rec) kgo(topic string) *kgo.Record {
	k := &kgo.Record{Topic: topic, Key: []byte(r.key)}
	switch {
	case r.raw != nil:
		k.Value = r.raw
	case r.value != nil:
		b, err := json.Marshal(r.value)
		if err != nil {
			panic(err)
		}
		k.Value = b
	}
	return k
}

// sdkRecords turns produced records into what the sink receives after the
// converters and, when extra is set, an InsertField of those fields: the
// input of the references. Values are decoded as the JSON converter decodes
// them, with numbers kept as text so that the reference renders them as
// the table does.
func sdkRecords(t *testing.T, recs []*kgo.Record, extra map[string]any) []sdk.Record {
	t.Helper()
	out := make([]sdk.Record, len(recs))
	for i, r := range recs {
		s := sdk.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: string(r.Key)}
		if r.Value != nil {
			var v any
			d := json.NewDecoder(bytes.NewReader(r.Value))
			d.UseNumber()
			if err := d.Decode(&v); err == nil {
				if m, ok := v.(map[string]any); ok {
					for k, x := range m {
						if n, ok := x.(json.Number); ok {
							m[k] = n.String()
						}
					}
					for k, x := range extra {
						m[k] = x
					}
					v = m
				}
				s.Value = v
			} else {
				s.Value = string(r.Value) // malformed: never reaches the sink
			}
		}
		out[i] = s
	}
	return out
}

// readTable reads a table of this test's schema as sinks.ReadTable does.
func (e *env) readTable(table string, key []string, cols ...string) map[string]sinks.Row {
	e.t.Helper()
	got, err := sinks.ReadTable(context.Background(), e.pg, e.schema+"."+pgx.Identifier{table}.Sanitize(), key, cols...)
	if err != nil {
		e.t.Fatalf("read table %s: %v", table, err)
	}
	return got
}

// tableExists reports whether a table of this test's schema exists.
func (e *env) tableExists(table string) bool {
	var ok bool
	_ = e.pg.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", e.schema+"."+pgx.Identifier{table}.Sanitize()).Scan(&ok)
	return ok
}

func (e *env) count(table string) int64 {
	var n int64
	if err := e.pg.QueryRow(context.Background(), "SELECT count(*) FROM "+e.schema+"."+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
		return -1
	}
	return n
}

// columns returns a table's columns.
func (e *env) columns(table string) []string {
	e.t.Helper()
	rows, err := e.pg.Query(context.Background(), `SELECT column_name::text FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, e.schema, table)
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// header returns the value of a record's last header named key.
func header(r *kgo.Record, key string) (string, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return string(r.Headers[i].Value), true
		}
	}
	return "", false
}

// --- a TCP proxy -------------------------------------------------------------

// proxy forwards TCP connections to a server. down closes every connection
// and refuses new ones until up: to the client the server has gone away,
// without disturbing the shared server.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	isDown bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { ln.Close(); p.down(); p.wg.Wait() })
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.isDown
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.isDown {
			p.mu.Unlock()
			c.Close()
			s.Close()
			continue
		}
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(s, c)
		go p.pipe(c, s)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer dst.Close()
	defer src.Close()
	_, _ = io.Copy(dst, src)
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isDown = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) up() {
	p.mu.Lock()
	p.isDown = false
	p.mu.Unlock()
}

// randomDuration is uniform in [lo, hi).
func randomDuration(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// newRandFrom returns a generator for another goroutine, seeded by seed.
func newRandFrom(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// counter returns a function that counts a table's rows on a connection of
// its own, for use from another goroutine (one at a time).
func (e *env) counter(table string) func() int64 {
	e.t.Helper()
	c, err := pgx.Connect(context.Background(), e.pgURL)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close(context.Background()) })
	q := "SELECT count(*) FROM " + e.schema + "." + pgx.Identifier{table}.Sanitize()
	return func() int64 {
		var n int64
		if err := c.QueryRow(context.Background(), q).Scan(&n); err != nil {
			return -1
		}
		return n
	}
}
