package e2e

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
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Class names the tests put in configs, as Kafka Connect users write them.
const (
	jsonConverter   = "org.apache.kafka.connect.json.JsonConverter"
	stringConverter = "org.apache.kafka.connect.storage.StringConverter"
)

// services is what a test needs from its environment: the binary under test
// and the servers tests/services started.
type services struct {
	bin       string
	bootstrap string // PLAINTEXT listener

	saslBootstrap string // SASL_SSL listener (SCRAM over TLS)
	saslMechanism string
	saslUser      string
	saslPassword  string
	caFile        string
}

// setup skips the test unless FRESHET_E2E=1; then it fails the test when the
// binary, a variable or Kafka is missing.
func setup(t *testing.T) *services {
	t.Helper()
	if os.Getenv("FRESHET_E2E") != "1" {
		t.Skip("end-to-end test against real servers: run `make e2e` (sets FRESHET_E2E=1)")
	}
	need := func(k string) string {
		v := os.Getenv(k)
		if v == "" {
			t.Fatalf("%s is not set: start the servers with tests/services/up.sh kafka, then "+
				"`source ${FRESHET_SERVICES_DIR:-/tmp/freshet-services}/env` (make e2e does both)", k)
		}
		return v
	}
	s := &services{
		bin:           need("FRESHET_BIN"),
		bootstrap:     need("FRESHET_KAFKA_BOOTSTRAP"),
		saslBootstrap: need("FRESHET_KAFKA_SASL_BOOTSTRAP"),
		saslMechanism: need("FRESHET_KAFKA_SASL_MECHANISM"),
		saslUser:      need("FRESHET_KAFKA_SASL_USER"),
		saslPassword:  need("FRESHET_KAFKA_SASL_PASSWORD"),
		caFile:        need("FRESHET_KAFKA_CA_FILE"),
	}
	if fi, err := os.Stat(s.bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("FRESHET_BIN=%s is not an executable file (run make build): %v", s.bin, err)
	}
	if _, err := os.Stat(s.caFile); err != nil {
		t.Fatalf("FRESHET_KAFKA_CA_FILE: %v", err)
	}
	adm := s.admin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := adm.BrokerMetadata(ctx); err != nil {
		t.Fatalf("kafka at %s is not reachable (tests/services/up.sh kafka): %v", s.bootstrap, err)
	}
	return s
}

// client returns a kgo client of the PLAINTEXT listener, closed at cleanup.
func (s *services) client(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.bootstrap)}, opts...)...)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func (s *services) admin(t *testing.T) *kadm.Client {
	t.Helper()
	return kadm.NewClient(s.client(t))
}

// uniqueName returns prefix plus a suffix that no other run uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%s-%04x", prefix, strconv.FormatInt(time.Now().UnixMilli(), 36), rand.IntN(1<<16))
}

// createTopic creates a topic with replication factor 1 and deletes it when
// the test ends.
func (s *services) createTopic(t *testing.T, name string, partitions int32) {
	t.Helper()
	adm := s.admin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, partitions, 1, nil, name); err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := kadm.NewClient(mustClient(s.bootstrap)).DeleteTopics(ctx, name); err != nil {
			t.Logf("delete topic %s: %v", name, err)
		}
	})
}

// mustClient is for cleanups, which run after the test's own clients closed.
func mustClient(bootstrap string) *kgo.Client {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		panic(err) // only bad options fail here, and these are fixed
	}
	return cl
}

// endOffsets returns the log end offset of each partition of topic.
func (s *services) endOffsets(t *testing.T, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	lo, err := s.admin(t).ListEndOffsets(ctx, topic)
	if err == nil {
		err = lo.Error()
	}
	if err != nil {
		t.Fatalf("list end offsets of %s: %v", topic, err)
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// settledEnd returns the total of topic's end offsets once it has not
// changed for half a second.
func (s *services) settledEnd(t *testing.T, topic string) int64 {
	t.Helper()
	last, since := sum(s.endOffsets(t, topic)), time.Now()
	waitFor(t, 30*time.Second, "the end offsets of "+topic+" to settle", func() (bool, string) {
		if cur := sum(s.endOffsets(t, topic)); cur != last {
			last, since = cur, time.Now()
		}
		return time.Since(since) >= 500*time.Millisecond, fmt.Sprintf("end %d", last)
	})
	return last
}

// committedOffsets returns the offsets group committed for topic.
func (s *services) committedOffsets(t *testing.T, group, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	resp, err := s.admin(t).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets of group %s: %v", group, err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

func sum(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// topicReader reads a whole topic from the start, keeping every record. It
// is used from the test goroutine only.
type topicReader struct {
	cl   *kgo.Client
	recs []*kgo.Record
	next map[int32]int64 // offset after the last record read, per partition
}

func (s *services) newTopicReader(t *testing.T, topic string) *topicReader {
	t.Helper()
	cl := s.client(t,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(64<<20),
	)
	return &topicReader{cl: cl, next: map[int32]int64{}}
}

// poll reads what arrives within d.
func (r *topicReader) poll(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for ctx.Err() == nil {
		fs := r.cl.PollFetches(ctx)
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				t.Fatalf("read %s-%d: %v", topic, p, err)
			}
		})
		fs.EachRecord(func(rec *kgo.Record) {
			r.recs = append(r.recs, rec)
			r.next[rec.Partition] = rec.Offset + 1
		})
	}
}

// readTo reads until every partition is read up to end, or fails the test.
func (r *topicReader) readTo(t *testing.T, end map[int32]int64, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "the topic to be read to its end", func() (bool, string) {
		for p, e := range end {
			if r.next[p] < e {
				r.poll(t, 500*time.Millisecond)
				return false, fmt.Sprintf("read %v of %v", r.next, end)
			}
		}
		return true, ""
	})
}

// readTopic returns every record of topic, up to its current end offsets.
func (s *services) readTopic(t *testing.T, topic string) []*kgo.Record {
	t.Helper()
	r := s.newTopicReader(t, topic)
	r.readTo(t, s.endOffsets(t, topic), 2*time.Minute)
	return r.recs
}

// produce writes records to Kafka and waits for every acknowledgement.
func (s *services) produce(t *testing.T, recs ...*kgo.Record) {
	t.Helper()
	cl := s.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// waitFor polls cond every 200ms until it holds, failing the test with cond's
// last explanation when timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	if !eventually(timeout, cond) {
		_, last := cond()
		t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
	}
}

// eventually polls cond every 200ms until it holds (true) or timeout passes.
func eventually(timeout time.Duration, cond func() (bool, string)) bool {
	deadline := time.Now().Add(timeout)
	for {
		if ok, _ := cond(); ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// freePort returns a loopback TCP port that nothing listens on right now.
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
		// Escape what a properties file would read differently.
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

// workerProps returns the properties of a standalone worker whose state
// lives in dir, talking PLAINTEXT to Kafka, with a REST listener on a free
// port. Tests change what they need.
func (s *services) workerProps(t *testing.T, dir string) map[string]string {
	return map[string]string{
		"bootstrap.servers":              s.bootstrap,
		"listeners":                      fmt.Sprintf("http://127.0.0.1:%d", freePort(t)),
		"offset.storage.file.filename":   filepath.Join(dir, "connect.offsets"),
		"freshet.config.storage.file":    filepath.Join(dir, "connect.configs"),
		"offset.flush.interval.ms":       "1000",
		"key.converter":                  stringConverter,
		"value.converter":                jsonConverter,
		"value.converter.schemas.enable": "false",
		// A SIGKILLed consumer stays in its group until its session times out;
		// the broker's minimum (6 s) keeps each restart's rebalance short.
		"consumer.session.timeout.ms":    "6000",
		"consumer.heartbeat.interval.ms": "1000",
	}
}

// worker is one freshet worker process, restartable with the same files.
// Every start appends to the same log file, after a marker line.
type worker struct {
	t       *testing.T
	bin     string
	args    []string
	env     []string
	url     string
	logPath string

	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited; waitErr is then set
	waitErr error
	starts  int
}

// newWorker writes the worker's property file and connector files into dir
// and returns a worker that is not started. env holds extra NAME=value
// variables; the FRESHET_* variables of the test's environment are not
// passed on, so that they cannot override the worker's properties.
func (s *services) newWorker(t *testing.T, dir string, props map[string]string, connectors map[string]map[string]string, env ...string) *worker {
	t.Helper()
	wp := filepath.Join(dir, "worker.properties")
	writeProperties(t, wp, props)
	args := []string{"worker", wp}
	for _, name := range slices.Sorted(maps.Keys(connectors)) {
		args = append(args, writeConnector(t, dir, name, connectors[name]))
	}
	w := &worker{
		t: t, bin: s.bin, args: args, env: env,
		url:     props["listeners"],
		logPath: filepath.Join(dir, "worker.log"),
	}
	t.Cleanup(w.cleanup)
	return w
}

func (w *worker) cleanup() {
	if w.running() {
		w.t.Logf("stopping worker pid %d at cleanup", w.cmd.Process.Pid)
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(30 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.done
		}
	}
	if w.t.Failed() {
		w.t.Logf("last lines of %s:\n%s", w.logPath, w.logTail(60))
	}
}

// start starts the process; the test fails if it cannot.
func (w *worker) start() {
	w.t.Helper()
	if w.running() {
		w.t.Fatalf("worker already running (pid %d)", w.cmd.Process.Pid)
	}
	w.starts++
	f, err := os.OpenFile(w.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "{\"e2e\":\"worker start %d\",\"ts\":%q}\n", w.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(w.bin, w.args...)
	cmd.Env = append(childEnv(), w.env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start %s: %v", w.bin, err)
	}
	w.cmd, w.done = cmd, make(chan struct{})
	go w.wait(cmd, w.done)
}

func (w *worker) wait(cmd *exec.Cmd, done chan struct{}) {
	err := cmd.Wait()
	w.waitErr = err
	close(done)
}

// childEnv is the test's environment without FRESHET_* variables.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FRESHET_") {
			env = append(env, kv)
		}
	}
	return env
}

func (w *worker) pid() int { return w.cmd.Process.Pid }

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

// kill sends SIGKILL and waits for the process to be gone.
func (w *worker) kill() {
	w.t.Helper()
	if !w.running() {
		w.t.Fatalf("worker exited before it was killed: %v", w.waitErr)
	}
	if err := w.cmd.Process.Kill(); err != nil {
		w.t.Fatalf("kill worker: %v", err)
	}
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		w.t.Fatalf("worker pid %d did not die within 10s of SIGKILL", w.pid())
	}
}

// stop sends SIGTERM and fails the test unless the worker exits cleanly
// within timeout.
func (w *worker) stop(timeout time.Duration) {
	w.t.Helper()
	if !w.running() {
		w.t.Fatalf("worker exited before it was stopped: %v", w.waitErr)
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
		if w.waitErr != nil {
			w.t.Errorf("worker exited after SIGTERM with %v", w.waitErr)
		}
	case <-time.After(timeout):
		_ = w.cmd.Process.Kill()
		<-w.done
		w.t.Errorf("worker did not stop within %s of SIGTERM; killed it", timeout)
	}
}

// waitExit waits for the process to exit on its own and returns its exit
// code, failing the test after timeout.
func (w *worker) waitExit(timeout time.Duration) int {
	w.t.Helper()
	select {
	case <-w.done:
	case <-time.After(timeout):
		w.t.Fatalf("worker still running after %s, expected it to exit", timeout)
	}
	return w.cmd.ProcessState.ExitCode()
}

// waitFor is waitFor that also fails at once when the worker exits.
func (w *worker) waitFor(timeout time.Duration, what string, cond func() (bool, string)) {
	w.t.Helper()
	waitFor(w.t, timeout, what, func() (bool, string) {
		if !w.running() {
			w.t.Fatalf("worker exited (%v) while waiting for %s", w.waitErr, what)
		}
		return cond()
	})
}

// logTail returns the last n lines of the worker's log.
func (w *worker) logTail(n int) string {
	b, err := os.ReadFile(w.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// log returns the worker's whole log.
func (w *worker) log() string {
	b, _ := os.ReadFile(w.logPath)
	return string(b)
}

// connectorStatus is Kafka Connect's GET /connectors/{name}/status.
type connectorStatus struct {
	Name      string      `json:"name"`
	Connector stateInfo   `json:"connector"`
	Tasks     []taskState `json:"tasks"`
	Type      string      `json:"type"`
}

type stateInfo struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

type taskState struct {
	ID int `json:"id"`
	stateInfo
}

func (s connectorStatus) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// status fetches a connector's status; err is set when the worker does not
// answer or answers anything but 200.
func (w *worker) status(name string) (connectorStatus, error) {
	var st connectorStatus
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(w.url + "/connectors/" + name + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return st, err
	}
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET status: %s: %s", resp.Status, body)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("GET status: %w: %s", err, body)
	}
	return st, nil
}

// waitRunning waits until the connector and all its tasks (at least one) run.
func (w *worker) waitRunning(name string, timeout time.Duration) connectorStatus {
	w.t.Helper()
	var st connectorStatus
	w.waitFor(timeout, "connector "+name+" and its tasks to be RUNNING", func() (bool, string) {
		var err error
		st, err = w.status(name)
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
	return st
}

// procStatus reads a field of /proc/PID/status in kB (VmRSS, VmHWM).
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) != 2 || fs[1] != "kB" {
			return 0, fmt.Errorf("/proc/%d/status: odd %s line %q", pid, field, sc.Text())
		}
		return strconv.ParseInt(fs[0], 10, 64)
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, field)
}

// procIO reads a counter of /proc/PID/io (rchar: bytes read by read-like
// system calls, sockets included).
func procIO(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, v, ok := strings.Cut(line, ": "); ok && name == field {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/io: no %s", pid, field)
}

const mib = 1 << 20

// coord is one line of a file sink run with
// freshet.file.include.coordinates=true: "topic/partition/offset<TAB>value".
type coord struct {
	Partition int32
	Offset    int64
	Pos       int64  // byte position of the line's coordinates in the output
	Value     []byte // the rest of the line
}

// coordParser parses a file sink's output as it grows. A worker killed in
// the middle of a write can leave a partial last line, to which the next run
// appends: then a line holds a truncated record followed by a whole one. The
// parser finds every "topic/P/O<TAB>" in a line, so such a glued line still
// yields the whole record (the truncated one was not committed and comes
// again), and counts it in glued.
type coordParser struct {
	prefix  []byte // topic + "/"
	values  bool   // keep each line's value in its coord
	pos     int64  // output position of rest[0]
	rest    []byte // bytes after the last newline
	entries []coord
	glued   int // coordinates found after the start of a line
	junk    int // lines without any coordinates
}

// newCoordParser parses lines of topic; values says whether to keep each
// line's value (the memory test does not, its output is large).
func newCoordParser(topic string, values bool) *coordParser {
	return &coordParser{prefix: []byte(topic + "/"), values: values}
}

// feed parses the whole lines in data (following what was fed before).
func (p *coordParser) feed(data []byte) {
	buf := append(p.rest, data...)
	start := 0
	for {
		i := bytes.IndexByte(buf[start:], '\n')
		if i < 0 {
			break
		}
		p.line(buf[start:start+i], p.pos+int64(start))
		start += i + 1
	}
	p.rest = append([]byte(nil), buf[start:]...)
	p.pos += int64(start)
}

func (p *coordParser) line(line []byte, pos int64) {
	type hit struct {
		c           coord
		at, valueAt int
	}
	var hits []hit
	for i := 0; i < len(line); {
		j := bytes.Index(line[i:], p.prefix)
		if j < 0 {
			break
		}
		at := i + j
		c, n, ok := parseCoord(line[at+len(p.prefix):])
		if !ok {
			i = at + 1
			continue
		}
		hits = append(hits, hit{c, at, at + len(p.prefix) + n})
		i = at + len(p.prefix) + n
	}
	if len(hits) == 0 {
		p.junk++
	}
	for k, h := range hits {
		c := h.c
		c.Pos = pos + int64(h.at)
		if p.values {
			valueEnd := len(line)
			if k+1 < len(hits) {
				valueEnd = hits[k+1].at
			}
			c.Value = append([]byte(nil), line[h.valueAt:valueEnd]...)
		}
		p.entries = append(p.entries, c)
		if h.at > 0 {
			p.glued++
		}
	}
}

// parseCoord parses "P/O\t" and returns how many bytes it took.
func parseCoord(b []byte) (coord, int, bool) {
	part, n1 := digits(b)
	if n1 == 0 || n1 >= len(b) || b[n1] != '/' {
		return coord{}, 0, false
	}
	off, n2 := digits(b[n1+1:])
	end := n1 + 1 + n2
	if n2 == 0 || end >= len(b) || b[end] != '\t' {
		return coord{}, 0, false
	}
	return coord{Partition: int32(part), Offset: off}, end + 1, true
}

func digits(b []byte) (int64, int) {
	var v int64
	n := 0
	for n < len(b) && n < 18 && b[n] >= '0' && b[n] <= '9' {
		v = v*10 + int64(b[n]-'0')
		n++
	}
	return v, n
}

// fileTail feeds a growing file to a coordParser.
type fileTail struct {
	path string
	off  int64
	*coordParser
}

func newFileTail(path, topic string) *fileTail {
	return &fileTail{path: path, coordParser: newCoordParser(topic, true)}
}

// update parses what was appended since the last call.
func (f *fileTail) update(t *testing.T) {
	t.Helper()
	fh, err := os.Open(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.NewSectionReader(fh, f.off, 1<<40))
	if err != nil {
		t.Fatal(err)
	}
	f.off += int64(len(data))
	f.feed(data)
}

// fileSize returns the size of path, 0 if it does not exist.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// delivery summarizes sink output against a topic's end offsets.
type delivery struct {
	lines    int                       // coordinates found
	seen     map[int32]map[int64]int   // how often each offset was written
	missing  map[int32][]int64         // offsets below the end never written (first few)
	nMissing int64                     // how many such offsets
	beyond   int                       // offsets at or past the end offset
	disorder []string                  // per-partition order violations within one run
	last     map[int32]map[int64]coord // last line seen per offset
}

// analyze checks entries against end. boundaries are output positions at
// which one worker run ended and the next began (sizes at each SIGKILL):
// within a run a partition's offsets must strictly increase.
func analyze(entries []coord, end map[int32]int64, boundaries []int64) delivery {
	d := delivery{seen: map[int32]map[int64]int{}, missing: map[int32][]int64{}, last: map[int32]map[int64]coord{}}
	prev := map[[2]int64]int64{} // (run, partition) → last offset
	for _, c := range entries {
		d.lines++
		if d.seen[c.Partition] == nil {
			d.seen[c.Partition] = map[int64]int{}
			d.last[c.Partition] = map[int64]coord{}
		}
		d.seen[c.Partition][c.Offset]++
		d.last[c.Partition][c.Offset] = c
		if e, ok := end[c.Partition]; !ok || c.Offset >= e {
			d.beyond++
		}
		run, _ := slices.BinarySearch(boundaries, c.Pos+1) // boundaries <= Pos
		k := [2]int64{int64(run), int64(c.Partition)}
		if p, ok := prev[k]; ok && c.Offset <= p && len(d.disorder) < 10 {
			d.disorder = append(d.disorder, fmt.Sprintf("run %d partition %d: offset %d after %d (output byte %d)", run+1, c.Partition, c.Offset, p, c.Pos))
		}
		prev[k] = c.Offset
	}
	for p, e := range end {
		for o := int64(0); o < e; o++ {
			if d.seen[p][o] == 0 {
				d.nMissing++
				if len(d.missing[p]) < 10 {
					d.missing[p] = append(d.missing[p], o)
				}
			}
		}
	}
	return d
}

func (d delivery) distinct() int {
	n := 0
	for _, m := range d.seen {
		n += len(m)
	}
	return n
}

// covers reports whether every offset below end was written at least once.
func covers(entries *coordParser, end map[int32]int64) (bool, string) {
	got := map[int32]map[int64]bool{}
	for _, c := range entries.entries {
		if got[c.Partition] == nil {
			got[c.Partition] = map[int64]bool{}
		}
		got[c.Partition][c.Offset] = true
	}
	var short []string
	for p, e := range end {
		n := int64(0)
		for o := int64(0); o < e; o++ {
			if got[p][o] {
				n++
			}
		}
		if n < e {
			short = append(short, fmt.Sprintf("partition %d: %d of %d offsets", p, n, e))
		}
	}
	slices.Sort(short)
	return len(short) == 0, strings.Join(short, "; ")
}

// randomDuration is uniform in [lo, hi).
func randomDuration(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// newRand returns a generator seeded from the clock, logging the seed so a
// failing schedule can be replayed with FRESHET_E2E_SEED.
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

// persistedOffsets reads the source offsets a standalone worker persisted
// for connector (offset.storage.file.filename, written atomically). It
// returns nil when the file or the connector's entry does not exist yet.
func persistedOffsets(t *testing.T, path, connector string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Offsets map[string][]struct {
			Partition map[string]any `json:"partition"`
			Offset    map[string]any `json:"offset"`
		} `json:"offsets"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("offsets file %s: %v", path, err)
	}
	var out []map[string]any
	for _, e := range f.Offsets[connector] {
		out = append(out, e.Offset)
	}
	return out
}

// logSummary counts the worker's log lines by level and returns the first
// few warning and error messages, for the test's report.
func (w *worker) logSummary() string {
	counts := map[string]int{}
	var samples []string
	for _, line := range strings.Split(w.log(), "\n") {
		var l struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Error string `json:"error"`
			Err   string `json:"err"`
		}
		if json.Unmarshal([]byte(line), &l) != nil || l.Level == "" {
			continue
		}
		counts[l.Level]++
		if (l.Level == "warn" || l.Level == "error") && len(samples) < 5 {
			samples = append(samples, fmt.Sprintf("%s %q %.200s%.200s", l.Level, l.Msg, l.Error, l.Err))
		}
	}
	return fmt.Sprintf("log lines by level %v; first warnings/errors: %v", counts, samples)
}
