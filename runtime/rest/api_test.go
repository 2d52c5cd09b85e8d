package rest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/freshet-dev/freshet/runtime/rest"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// TestRedaction: a PASSWORD-type value (and well-known secret client keys)
// never leaves the API, and a config read back and PUT unchanged keeps the
// real secret.
func TestRedaction(t *testing.T) {
	e := newEnv(t)
	const secret = "s3cret-value"
	create := `{"name":"sec","config":{"connector.class":"secret-sink","topics":"t","connection.url":"db:1",` +
		`"connection.password":"` + secret + `","consumer.override.sasl.jaas.config":"user=x password=` + secret + `",` +
		`"value.converter.basic.auth.user.info":"u:` + secret + `"}}`
	code, _, body := e.do("POST", "/connectors", create)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	responses := []string{body}
	for _, p := range []string{"/connectors/sec", "/connectors/sec/config", "/connectors/sec/tasks", "/connectors?expand=info&expand=status", "/connectors/sec/status"} {
		_, _, b := e.do("GET", p, "")
		responses = append(responses, b)
	}
	_, _, b := e.do("PUT", "/connector-plugins/secret-sink/config/validate", `{"connector.class":"secret-sink","connection.password":"`+secret+`","tasks.max":"zz"}`)
	responses = append(responses, b)
	_, _, b = e.do("POST", "/connectors", `{"name":"sec2","config":{"connector.class":"secret-sink","connection.password":"`+secret+`","tasks.max":"x"}}`)
	responses = append(responses, b)
	for i, r := range responses {
		if strings.Contains(r, secret) {
			t.Errorf("response %d shows the secret: %s", i, r)
		}
	}
	if !strings.Contains(responses[2], `"connection.password":"[hidden]"`) || !strings.Contains(responses[2], `"consumer.override.sasl.jaas.config":"[hidden]"`) {
		t.Errorf("config does not show [hidden]: %s", responses[2])
	}
	// Read, change one key, write back: the password must survive.
	var cfg map[string]string
	if err := json.Unmarshal([]byte(responses[2]), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["topics"] = "t2"
	nb, _ := json.Marshal(cfg)
	if code, _, body := e.do("PUT", "/connectors/sec/config", string(nb)); code != 200 {
		t.Fatalf("put back: %d %s", code, body)
	}
	if code, _, body := e.do("PATCH", "/connectors/sec/config", `{"tasks.max":"2","connection.password":"[hidden]"}`); code != 200 {
		t.Fatalf("patch: %d %s", code, body)
	}
	info, err := e.h.Connector(context.Background(), "sec")
	if err != nil {
		t.Fatal(err)
	}
	if info.Config["connection.password"] != secret || info.Config["topics"] != "t2" || info.Config["tasks.max"] != "2" {
		t.Errorf("stored config after PUT/PATCH with [hidden]: %v", info.Config)
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	big := `{"name":"big","config":{"connector.class":"FileStreamSink","topics":"t","x":"` + strings.Repeat("a", rest.MaxBodyBytes) + `"}}`
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"malformed JSON names line and column", "POST", "/connectors", "{\"name\": \"x\",\n \"config\": {x}}", 400, "line 2, column 13"},
		{"truncated JSON", "POST", "/connectors", `{"name": "x",`, 400, "unexpected end"},
		{"trailing data", "POST", "/connectors", `{"name":"x","config":{}} {}`, 400, "line 1, column"},
		{"invalid UTF-8", "POST", "/connectors", "{\"name\":\"\xff\"}", 400, "invalid UTF-8"},
		{"empty body", "POST", "/connectors", "", 400, "empty"},
		{"config not an object", "POST", "/connectors", `{"name":"x","config":[1]}`, 400, "JSON object"},
		{"nested config value", "POST", "/connectors", `{"name":"x","config":{"connector.class":{"a":1}}}`, 400, "must be a string, not an object"},
		{"null config value", "POST", "/connectors", `{"name":"x","config":{"connector.class":null}}`, 400, "is null"},
		{"name with control character", "POST", "/connectors", `{"name":"a\u0007b","config":{"connector.class":"FileStreamSink","topics":"t"}}`, 400, "control character"},
		{"path name with control character", "PUT", "/connectors/a%0Ab/config", `{"connector.class":"FileStreamSink","topics":"t"}`, 400, "control character"},
		{"empty name", "POST", "/connectors", `{"name":"  ","config":{"connector.class":"FileStreamSink","topics":"t"}}`, 400, "empty"},
		{"name mismatch", "POST", "/connectors", `{"name":"a","config":{"connector.class":"FileStreamSink","topics":"t","name":"b"}}`, 400, "doesn't match"},
		{"unknown class lists plugins and aliases", "POST", "/connectors", `{"name":"a","config":{"connector.class":"com.example.Nope"}}`, 400, "file-sink (sink; aliases: FileStreamSink, org.apache.kafka.connect.file.FileStreamSinkConnector)"},
		{"invalid config lists every error", "POST", "/connectors", `{"name":"a","config":{"connector.class":"FileStreamSink","tasks.max":"0"}}`, 400, "contains the following 3 error(s)"},
		{"sink without topics", "PUT", "/connectors/a/config", `{"connector.class":"FileStreamSink"}`, 400, "Must configure one of topics or topics.regex"},
		{"body over 1 MiB", "POST", "/connectors", big, 413, "larger than 1048576 bytes"},
		{"bad boolean query", "POST", "/connectors/a/restart?includeTasks=maybe", "", 400, "includeTasks must be true or false"},
		{"task id not a number", "GET", "/connectors/a/tasks/x/status", "", 404, "task ids are numbers"},
		{"unknown route", "GET", "/nope", "", 404, "HTTP 404 Not Found"},
		{"double slash", "GET", "/connectors//status", "", 404, "HTTP 404 Not Found"},
		{"wrong method", "DELETE", "/connectors", "", 405, "HTTP 405 Method Not Allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := e.do(tc.method, tc.path, tc.body)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("got %d %s, want %d containing %q", code, body, tc.code, tc.want)
			}
			var eb struct {
				Code int    `json:"error_code"`
				Msg  string `json:"message"`
			}
			if err := json.Unmarshal([]byte(body), &eb); err != nil || eb.Code != code || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("not Kafka Connect's error body: %s (%s)", body, hdr.Get("Content-Type"))
			}
		})
	}
	// Nothing above left a connector behind, half created or otherwise.
	if _, _, body := e.do("GET", "/connectors", ""); body != "[]" {
		t.Errorf("connectors after bad requests: %s", body)
	}
	if _, hdr, _ := e.do("POST", "/connectors/a/pause", ""); hdr.Get("Allow") != "PUT, OPTIONS" {
		t.Errorf("405 Allow = %q", hdr.Get("Allow"))
	}
}

// TestConfigValuesAsNumbers: Jackson turns "tasks.max": 2 into "2"; clients
// rely on it.
func TestConfigValuesAsNumbers(t *testing.T) {
	e := newEnv(t)
	code, _, body := e.do("POST", "/connectors", `{"name":"n","config":{"connector.class":"FileStreamSink","topics":"t","tasks.max":2,"freshet.file.include.coordinates":true}}`)
	if code != 201 || !strings.Contains(body, `"tasks.max":"2"`) || !strings.Contains(body, `"freshet.file.include.coordinates":"true"`) {
		t.Fatalf("got %d %s", code, body)
	}
}

// TestRestartOnlyFailed: the 202 body marks just the failed task
// RESTARTING, and the restart brings it back.
func TestRestartOnlyFailed(t *testing.T) {
	e := newEnv(t)
	if code, _, body := e.do("POST", "/connectors", `{"name":"r","config":{"connector.class":"FileStreamSink","topics":"t","tasks.max":"3"}}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	e.h.OnTaskState(worker.TaskID{Connector: "r", Task: 1}, worker.StateFailed, errors.New("disk full"))
	_, _, body := e.do("GET", "/connectors/r/tasks/1/status", "")
	if !strings.Contains(body, `"state":"FAILED"`) || !strings.Contains(body, "disk full") {
		t.Fatalf("task 1 status: %s", body)
	}
	code, _, body := e.do("POST", "/connectors/r/restart?includeTasks=true&onlyFailed=true", "")
	var st struct {
		Connector struct{ State string }
		Tasks     []struct {
			ID    int
			State string
		}
	}
	if err := json.Unmarshal([]byte(body), &st); code != 202 || err != nil {
		t.Fatalf("restart: %d %s", code, body)
	}
	want := []string{"RUNNING", "RESTARTING", "RUNNING"}
	if st.Connector.State != "RUNNING" || len(st.Tasks) != 3 {
		t.Fatalf("restart plan: %s", body)
	}
	for i, w := range want {
		if st.Tasks[i].State != w {
			t.Errorf("task %d: %s, want %s (%s)", i, st.Tasks[i].State, w, body)
		}
	}
	if _, _, body := e.do("GET", "/connectors/r/tasks/1/status", ""); !strings.Contains(body, `"state":"RUNNING"`) {
		t.Errorf("after restart: %s", body)
	}
	if code, _, _ := e.do("POST", "/connectors/r/restart", ""); code != 204 {
		t.Errorf("plain restart: %d, want 204", code)
	}
}

// TestLoggerLevels: PUT /admin/loggers changes what a zap logger writes.
func TestLoggerLevels(t *testing.T) {
	e := newEnv(t)
	if e.levels.Level("herder") != zapcore.InfoLevel {
		t.Fatal("herder should start at INFO")
	}
	code, _, body := e.do("PUT", "/admin/loggers/herder", `{"level":"DEBUG"}`)
	if code != 200 || body != `["herder"]` {
		t.Fatalf("set: %d %s", code, body)
	}
	if e.levels.Level("herder") != zapcore.DebugLevel || e.levels.Level("herder.sub") != zapcore.DebugLevel || e.levels.Level("rest") != zapcore.InfoLevel {
		t.Errorf("levels after set: herder %v, herder.sub %v, rest %v", e.levels.Level("herder"), e.levels.Level("herder.sub"), e.levels.Level("rest"))
	}
	_, _, body = e.do("GET", "/admin/loggers/herder", "")
	var lv struct {
		Level        string `json:"level"`
		LastModified *int64 `json:"last_modified"`
	}
	if err := json.Unmarshal([]byte(body), &lv); err != nil || lv.Level != "DEBUG" || lv.LastModified == nil {
		t.Errorf("get: %s", body)
	}
	if code, _, _ := e.do("PUT", "/admin/loggers/root", `{"level":"off"}`); code != 200 || e.levels.Level("rest") < zapcore.FatalLevel {
		t.Errorf("root OFF: %d, rest level %v", code, e.levels.Level("rest"))
	}
}

// TestStarting: before the herder exists, /health says starting (503) and
// connector endpoints 503, while plugin listing works.
func TestStarting(t *testing.T) {
	srv, err := rest.New(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start([]string{"http://127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	for path, want := range map[string]int{"/health": 503, "/connectors": 503, "/connector-plugins": 200} {
		resp, err := client.Get(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestTLS serves https with a generated certificate; an https listener
// without one is refused at Start.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	srv, err := rest.New(nil, nil, nil, rest.WithTLS(certFile, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start([]string{"https://127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %q", srv.URL())
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.URL() + "/connector-plugins")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("GET over TLS: %d", resp.StatusCode)
	}
	plain, err := rest.New(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Start([]string{"https://127.0.0.1:0"}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("https without a certificate: %v", err)
	}
	for _, bad := range []string{"127.0.0.1:8083", "ftp://127.0.0.1:1", "http://127.0.0.1", "http://127.0.0.1:0/x"} {
		if err := plain.Start([]string{bad}); err == nil {
			t.Errorf("listener %q accepted", bad)
		}
	}
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
