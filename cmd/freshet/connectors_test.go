package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/plugin"
	"github.com/freshet-dev/freshet/runtime/rest"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// cliRunner starts tasks at once and runs nothing: the CLI is tested
// against the real REST server and herder, not against task loops.
type cliRunner struct {
	mu sync.Mutex
	h  *herder.Herder
}

func (r *cliRunner) StartTask(_ context.Context, id worker.TaskID, _ sdk.Plugin, _, _ map[string]string) error {
	r.mu.Lock()
	h := r.h
	r.mu.Unlock()
	h.OnTaskState(id, worker.StateRunning, nil)
	return nil
}
func (r *cliRunner) StopTask(context.Context, worker.TaskID) {}

type cliResolver struct{}

func (cliResolver) Resolve(cfg map[string]string) (map[string]string, error) {
	return maps.Clone(cfg), nil
}

// cliServer is a REST server over a real herder with in-memory stores.
func cliServer(t *testing.T, opts ...rest.Option) (string, *herder.Herder) {
	t.Helper()
	reg, err := plugin.NewRegistry(file.SinkPlugin(), file.SourcePlugin())
	if err != nil {
		t.Fatal(err)
	}
	run := &cliRunner{}
	h := herder.New("w1:8083", store.NewMemoryConfigs(), reg, run, cliResolver{}, zap.NewNop())
	run.h = h
	h.UseOffsets(store.NewMemoryOffsets(), nil)
	srv, err := rest.New(h, reg, zap.NewNop(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start([]string{"http://127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		h.Shutdown(ctx)
	})
	return srv.URL(), h
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConnectorsCLI runs a user's session with the CLI and checks exit
// codes and what it prints.
func TestConnectorsCLI(t *testing.T) {
	url, _ := cliServer(t)
	jsonFile := writeFile(t, "orders.json", `{"name":"orders","config":{"connector.class":"FileStreamSink","topics":"orders","tasks.max":2}}`)
	propsFile := writeFile(t, "audit.properties", "name=audit\nconnector.class=FileStreamSink\ntopics=audit\n")
	badFile := writeFile(t, "bad.json", `{"connector.class":"FileStreamSink","tasks.max":"zero"}`)
	offsetsFile := writeFile(t, "offsets.json", `{"offsets":[{"partition":{"kafka_topic":"orders","kafka_partition":0},"offset":{"kafka_offset":42}}]}`)
	env := map[string]string{"FRESHET_URL": url}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  []string // substrings of stdout+stderr
	}{
		{"no command", nil, "", exitUsage, []string{"Usage: freshet connectors"}},
		{"list empty", []string{"list"}, "", exitOK, []string{"no connectors"}},
		{"create json", []string{"create", "-f", jsonFile}, "", exitOK, []string{"created connector orders (sink, 2 tasks)"}},
		{"create properties, paused", []string{"create", "-f", propsFile, "--paused"}, "", exitOK, []string{"created connector audit"}},
		{"create duplicate", []string{"create", "-f", jsonFile}, "", exitConflict, []string{"409 Connector orders already exists", "hint: update"}},
		{"create from stdin", []string{"create", "-f", "-", "--name", "stdin-sink"}, `{"connector.class":"FileStreamSink","topics":"x"}`, exitOK, []string{"created connector stdin-sink"}},
		{"list table", []string{"list"}, "", exitOK, []string{"NAME", "orders", "RUNNING", "2/2 running", "audit", "PAUSED", "FileStreamSink"}},
		{"list json", []string{"list", "-o", "json"}, "", exitOK, []string{`"orders": {`, `"state": "RUNNING"`}},
		{"list yaml", []string{"-o", "yaml", "list"}, "", exitOK, []string{"orders:", "state: RUNNING", "connector.class: FileStreamSink"}},
		{"get", []string{"get", "orders"}, "", exitOK, []string{"orders  (sink, 2 tasks)", "tasks.max", "2"}},
		{"status", []string{"status", "orders"}, "", exitOK, []string{"connector orders", "task 1", "RUNNING", "w1:8083"}},
		{"patch", []string{"patch", "orders", "tasks.max=1", "--unset", "file"}, "", exitOK, []string{"patched connector orders"}},
		{"patch nothing", []string{"patch", "orders"}, "", exitUsage, []string{"nothing to change"}},
		{"pause", []string{"pause", "orders"}, "", exitOK, []string{"paused orders"}},
		{"resume", []string{"resume", "orders"}, "", exitOK, []string{"resumed orders"}},
		{"restart all", []string{"restart", "orders", "--include-tasks"}, "", exitOK, []string{"RESTARTING"}},
		{"restart task", []string{"restart", "orders", "--task", "0"}, "", exitOK, []string{"restarted orders task 0"}},
		{"offsets alter while running", []string{"offsets", "alter", "audit", "-f", offsetsFile}, "", exitInvalid, []string{"STOPPED", "hint: run freshet connectors stop NAME first"}},
		{"stop", []string{"stop", "stdin-sink"}, "", exitOK, []string{"stopped stdin-sink"}},
		{"offsets get", []string{"offsets", "get", "stdin-sink"}, "", exitFailed, []string{"no Kafka admin client"}},
		{"update", []string{"update", "orders", "-f", propsFile}, "", exitUsage, []string{`names connector "audit", not "orders"`}},
		{"validate invalid", []string{"validate", "-f", badFile}, "", exitInvalid, []string{"tasks.max", "Not a number of type INT", "Must configure one of topics or topics.regex", "error(s)"}},
		{"validate valid", []string{"validate", "-f", propsFile}, "", exitOK, []string{"valid FileStreamSink config"}},
		{"plugins", []string{"plugins"}, "", exitOK, []string{"file-sink", "FileStreamSink"}},
		{"not found", []string{"status", "nope"}, "", exitNotFound, []string{"404 No status found for connector nope", "hint: freshet connectors list"}},
		{"delete", []string{"delete", "orders"}, "", exitOK, []string{"deleted orders"}},
		{"delete again", []string{"delete", "orders"}, "", exitNotFound, []string{"Connector orders not found"}},
		{"unknown command", []string{"frobnicate"}, "", exitUsage, []string{"unknown command"}},
		{"bad output", []string{"list", "-o", "xml"}, "", exitUsage, []string{"use table, json or yaml"}},
		{"unreachable", []string{"list", "--url", "http://127.0.0.1:1"}, "", exitUnreachable, []string{"cannot reach http://127.0.0.1:1", "is the worker running"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := runConnectorsEnv(context.Background(), tc.args, &out, &errOut, func(k string) string { return env[k] }, strings.NewReader(tc.stdin))
			all := out.String() + errOut.String()
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			if strings.Contains(all, "\x1b[") {
				t.Errorf("colour codes in output that is not a terminal:\n%q", all)
			}
		})
	}
}

// TestConnectorsCLIAuth: a missing token exits 6 with a hint; a token and
// hash-secret's line work together.
func TestConnectorsCLIAuth(t *testing.T) {
	var line bytes.Buffer
	if code := runConnectorsEnv(context.Background(), []string{"hash-secret", "token", "ci", "viewer"}, &line, &line, func(string) string { return "" }, nil); code != 0 {
		t.Fatalf("hash-secret: %d %s", code, line.String())
	}
	lines := strings.Split(strings.TrimSpace(line.String()), "\n")
	token := lines[1][strings.LastIndex(lines[1], " ")+1:]
	creds := writeFile(t, "creds", lines[0]+"\n")
	url, _ := cliServer(t, rest.WithAuth(creds))
	run := func(env map[string]string, args ...string) (int, string) {
		var out bytes.Buffer
		code := runConnectorsEnv(context.Background(), args, &out, &out, func(k string) string { return env[k] }, nil)
		return code, out.String()
	}
	if code, out := run(map[string]string{"FRESHET_URL": url}, "list"); code != exitAuth || !strings.Contains(out, "--token") {
		t.Errorf("no token: exit %d %s", code, out)
	}
	if code, out := run(map[string]string{"FRESHET_URL": url, "FRESHET_TOKEN": token}, "list"); code != exitOK {
		t.Errorf("viewer token, list: exit %d %s", code, out)
	}
	if code, out := run(map[string]string{"FRESHET_URL": url}, "--token", token, "delete", "x"); code != exitAuth || !strings.Contains(out, "403") {
		t.Errorf("viewer token, delete: exit %d %s", code, out)
	}
	var pw bytes.Buffer
	if code := runConnectorsEnv(context.Background(), []string{"hash-secret", "password", "alice", "admin"}, &pw, &pw, func(string) string { return "" }, strings.NewReader("pw\n")); code != 0 || !strings.HasPrefix(pw.String(), "basic alice admin pbkdf2-sha256:600000:") {
		t.Errorf("hash-secret password: %d %s", code, pw.String())
	}
}

func TestYAML(t *testing.T) {
	var v any
	_ = json.Unmarshal([]byte(`{"b":[1,{"x":"a: b","y":[]}],"a":{"t":"true","n":null,"e":{}},"c":"-x"}`), &v)
	var sb strings.Builder
	writeYAML(&sb, v, 0, false)
	// "n" and "y" are quoted: YAML 1.1 reads them as booleans.
	want := "\na:\n  e: {}\n  \"n\": null\n  t: \"true\"\nb:\n  - 1\n  - x: \"a: b\"\n    \"y\": []\nc: \"-x\"\n"
	if sb.String() != want {
		t.Errorf("yaml:\n%s\nwant:\n%s", sb.String(), want)
	}
}
