package e2etest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Class names of the converters, as Kafka Connect users write them in configs.
const (
	JSONConverter   = "org.apache.kafka.connect.json.JsonConverter"
	StringConverter = "org.apache.kafka.connect.storage.StringConverter"
)

// WorkerProps returns the properties of a standalone worker whose state
// lives in dir, talking PLAINTEXT to Kafka, with a REST listener on a free
// port. Tests change what they need.
func (e *Env) WorkerProps(t testing.TB, dir string) map[string]string {
	return map[string]string{
		"bootstrap.servers":              e.Bootstrap,
		"listeners":                      fmt.Sprintf("http://127.0.0.1:%d", FreePort(t)),
		"offset.storage.file.filename":   filepath.Join(dir, "connect.offsets"),
		"freshet.config.storage.file":    filepath.Join(dir, "connect.configs"),
		"offset.flush.interval.ms":       "1000",
		"key.converter":                  StringConverter,
		"value.converter":                JSONConverter,
		"value.converter.schemas.enable": "false",
		// A SIGKILLed consumer stays in its group until its session times out;
		// the broker's minimum (6 s) keeps each restart's rebalance short.
		"consumer.session.timeout.ms":    "6000",
		"consumer.heartbeat.interval.ms": "1000",
	}
}

// Worker is one `freshet worker` process, restartable with the same files.
// Every start appends to the same log, after a marker line. Use it from the
// test's goroutine.
type Worker struct {
	URL     string            // the REST listener (the listeners property)
	Props   map[string]string // the worker's properties
	LogPath string

	t    testing.TB
	bin  string
	args []string

	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited; waitErr is then set
	waitErr error
	starts  int
}

// NewWorker writes the worker's properties (dir/worker.properties) and each
// connector (dir/NAME.json, in connect-standalone's form) and returns a
// worker that is not started. When t ends, a worker still running is
// stopped, and if t failed the end of its log is logged.
func (e *Env) NewWorker(t testing.TB, dir string, props map[string]string, connectors map[string]map[string]string) *Worker {
	t.Helper()
	wp := filepath.Join(dir, "worker.properties")
	writeProperties(t, wp, props)
	args := []string{"worker", wp}
	for _, name := range slices.Sorted(maps.Keys(connectors)) {
		args = append(args, writeConnector(t, dir, name, connectors[name]))
	}
	w := &Worker{
		URL: props["listeners"], Props: maps.Clone(props), LogPath: filepath.Join(dir, "worker.log"),
		t: t, bin: e.Bin, args: args,
	}
	t.Cleanup(w.cleanup)
	return w
}

// writeProperties writes props as a Java properties file, sorted by key.
func writeProperties(t testing.TB, path string, props map[string]string) {
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

// writeConnector writes a connector file in connect-standalone's JSON form
// and returns its path.
func writeConnector(t testing.TB, dir, name string, cfg map[string]string) string {
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

// FreePort returns a loopback TCP port that nothing listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (w *Worker) cleanup() {
	if w.Running() {
		w.t.Logf("stopping worker pid %d at cleanup", w.PID())
		_ = w.cmd.Process.Signal(syscall.SIGCONT) // a worker the test stopped with SIGSTOP
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(30 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.done
		}
	}
	if w.t.Failed() {
		w.t.Logf("last lines of %s (worker %s):\n%s", w.LogPath, w.URL, w.LogTail(60))
	}
}

// Start starts the process; the test fails if it cannot.
func (w *Worker) Start() {
	w.t.Helper()
	if w.Running() {
		w.t.Fatalf("worker already running (pid %d)", w.PID())
	}
	w.starts++
	f, err := os.OpenFile(w.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "{\"e2e\":\"worker start %d\",\"ts\":%q}\n", w.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(w.bin, w.args...)
	cmd.Env = ChildEnv()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start %s: %v", w.bin, err)
	}
	w.cmd, w.done = cmd, make(chan struct{})
	go w.wait(cmd, w.done)
}

func (w *Worker) wait(cmd *exec.Cmd, done chan struct{}) {
	w.waitErr = cmd.Wait()
	close(done)
}

// Running reports whether the process runs (it may be stopped by SIGSTOP).
func (w *Worker) Running() bool {
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

// PID is the process id of the last start.
func (w *Worker) PID() int { return w.cmd.Process.Pid }

// ExitErr is how the process exited (nil for status 0); nil while it runs.
func (w *Worker) ExitErr() error {
	if w.Running() {
		return nil
	}
	return w.waitErr
}

// Kill sends SIGKILL and waits for the process to be gone.
func (w *Worker) Kill() {
	w.t.Helper()
	if !w.Running() {
		w.t.Fatalf("worker exited before it was killed: %v", w.ExitErr())
	}
	if err := w.cmd.Process.Kill(); err != nil {
		w.t.Fatalf("kill worker: %v", err)
	}
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		w.t.Fatalf("worker pid %d did not die within 10s of SIGKILL", w.PID())
	}
}

// Stop sends SIGTERM and fails the test unless the worker exits cleanly
// within timeout.
func (w *Worker) Stop(timeout time.Duration) {
	w.t.Helper()
	if !w.Running() {
		w.t.Fatalf("worker exited before it was stopped: %v", w.ExitErr())
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
		if w.waitErr != nil {
			w.t.Errorf("worker %s exited after SIGTERM with %v", w.URL, w.waitErr)
		}
	case <-time.After(timeout):
		_ = w.cmd.Process.Kill()
		<-w.done
		w.t.Errorf("worker %s did not stop within %s of SIGTERM; killed it", w.URL, timeout)
	}
}

// Signal sends sig to the running process, as SIGSTOP and SIGCONT.
func (w *Worker) Signal(sig os.Signal) {
	w.t.Helper()
	if !w.Running() {
		w.t.Fatalf("worker exited before signal %v: %v", sig, w.ExitErr())
	}
	if err := w.cmd.Process.Signal(sig); err != nil {
		w.t.Fatalf("signal %v: %v", sig, err)
	}
}

// WaitExit waits for the process to exit on its own and returns its exit
// code, failing the test after timeout.
func (w *Worker) WaitExit(timeout time.Duration) int {
	w.t.Helper()
	select {
	case <-w.done:
	case <-time.After(timeout):
		w.t.Fatalf("worker still running after %s, expected it to exit", timeout)
	}
	return w.cmd.ProcessState.ExitCode()
}

// WaitFor is WaitFor that also fails at once when the worker exits.
func (w *Worker) WaitFor(timeout time.Duration, what string, cond func() (bool, string)) {
	w.t.Helper()
	WaitFor(w.t, timeout, what, func() (bool, string) {
		if !w.Running() {
			w.t.Fatalf("worker exited (%v) while waiting for %s", w.ExitErr(), what)
		}
		return cond()
	})
}

// Log returns the worker's whole log, of every start.
func (w *Worker) Log() string {
	b, _ := os.ReadFile(w.LogPath)
	return string(b)
}

// LogTail returns the last n lines of the worker's log.
func (w *Worker) LogTail(n int) string {
	b, err := os.ReadFile(w.LogPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
