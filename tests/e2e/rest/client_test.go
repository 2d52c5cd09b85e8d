package rest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// clientVersion pins the third-party client the session runs.
const clientVersion = "kafka-connect-py==1.0.0"

// python returns a Python with kafka-connect-py installed in a virtualenv
// kept under the user cache (pip from PyPI, the first time only).
func python(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	venv := filepath.Join(cache, "freshet", "kafka-connect-py-1.0.0")
	py := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		if out, err := exec.Command("python3", "-m", "venv", venv).CombinedOutput(); err != nil {
			t.Fatalf("python3 -m venv: %v\n%s", err, out)
		}
		if out, err := exec.Command(filepath.Join(venv, "bin", "pip"), "install", "-q", clientVersion).CombinedOutput(); err != nil {
			os.RemoveAll(venv)
			t.Fatalf("pip install %s: %v\n%s", clientVersion, err, out)
		}
	}
	return py
}

func session(t *testing.T, py, url, name string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "testdata", "client_session.py")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, script, url, name, name+"-topic", filepath.Join(t.TempDir(), "sink.txt"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kafka-connect-py session against %s failed: %v\n%s", url, err, out)
	}
	t.Logf("%s", out)
}

// TestThirdPartyClientAgainstKafkaConnect runs the session against Apache
// Kafka Connect: it proves the session is a valid Kafka Connect session.
func TestThirdPartyClientAgainstKafkaConnect(t *testing.T) {
	base := connectURL(t)
	session(t, python(t), base, fmt.Sprintf("py-kc-%d", time.Now().UnixNano()%1e6))
}

// TestThirdPartyClientAgainstFreshet runs the same session against a real
// Freshet worker (FRESHET_BIN) on real Kafka, unchanged.
func TestThirdPartyClientAgainstFreshet(t *testing.T) {
	if os.Getenv("FRESHET_E2E") != "1" {
		t.Skip("end-to-end test: run with FRESHET_E2E=1")
	}
	bin, bootstrap := os.Getenv("FRESHET_BIN"), os.Getenv("FRESHET_KAFKA_BOOTSTRAP")
	if bin == "" || bootstrap == "" {
		t.Fatal("FRESHET_BIN and FRESHET_KAFKA_BOOTSTRAP must be set (build freshet; source $FRESHET_SERVICES_DIR/env)")
	}
	py := python(t)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	props := strings.Join([]string{
		"bootstrap.servers=" + bootstrap,
		"listeners=" + url,
		"offset.storage.file.filename=" + filepath.Join(dir, "offsets"),
		"config.storage.file.filename=" + filepath.Join(dir, "configs"),
		"key.converter=org.apache.kafka.connect.storage.StringConverter",
		"value.converter=org.apache.kafka.connect.storage.StringConverter",
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "worker.properties"), []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "worker.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "worker", filepath.Join(dir, "worker.properties"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("worker log:\n%s", b)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("freshet worker not healthy at %s after 30 s", url)
		}
		time.Sleep(200 * time.Millisecond)
	}
	session(t, py, url, fmt.Sprintf("py-fr-%d", time.Now().UnixNano()%1e6))
}
