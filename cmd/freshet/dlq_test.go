package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
)

// dlqWorld is a kfake cluster with a queue of dead letters and a fake
// worker REST API serving connector configs and the dead-letter endpoints.
type dlqWorld struct {
	t         *testing.T
	bootstrap string
	url       string
	sinkGot   int
}

func newDLQWorld(t *testing.T, n int) *dlqWorld {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "orders"), kfake.SeedTopics(1, "orders-dlq"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := &dlqWorld{t: t, bootstrap: strings.Join(c.ListenAddrs(), ",")}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	at := time.Now().Add(-time.Hour).UTC()
	for i := range n {
		f := dlq.Failure{Connector: "es-sink", Stage: "VALUE_CONVERTER", Class: sdk.ClassRecord, Err: errors.New("invalid character 'x'"), Time: at, ContextHeaders: true}
		value := []byte(`{"id":` + string(rune('0'+i%10)) + `,"tags":["a","b"]}`)
		if i%4 == 3 {
			f.Class, f.Stage, f.Err = sdk.ClassRetriable, "TASK_PUT", errors.New("es: 503 unavailable")
			value = []byte{0xde, 0xad, 0xbe, 0xef}
		}
		orig := &kgo.Record{Topic: "orders", Partition: int32(i % 3), Offset: int64(i), Key: []byte("user-17"), Value: value,
			Headers: []kgo.RecordHeader{{Key: "trace-id", Value: []byte("abc")}}}
		if err := cl.ProduceSync(context.Background(), dlq.NewRecord("orders-dlq", orig, f)).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	conns := map[string]map[string]string{
		"es-sink": {"connector.class": "elasticsearch", "topics": "orders", dlq.KeyDLQTopic: "orders-dlq"},
		"pg-sink": {"connector.class": "postgres", "topics": "orders"},
	}
	d, err := dlq.New([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)},
		dlq.WithConnectors(dlq.ConnectorsFunc(func(context.Context) (map[string]map[string]string, error) { return conns, nil })),
		dlq.WithSinkReplayer(w))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	mux := http.NewServeMux()
	h := dlq.NewHandler(d)
	for _, p := range dlq.Patterns() {
		mux.Handle(p, h)
	}
	mux.HandleFunc("GET /connectors", func(rw http.ResponseWriter, r *http.Request) {
		out := map[string]any{}
		for name, cfg := range conns {
			out[name] = map[string]any{"info": map[string]any{"name": name, "config": cfg, "tasks": []any{}, "type": "sink"}}
		}
		_ = json.NewEncoder(rw).Encode(out)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

func (w *dlqWorld) Ready(context.Context, string) error { return nil }

func (w *dlqWorld) Replay(_ context.Context, _ string, recs []*kgo.Record) (map[int]error, error) {
	w.sinkGot += len(recs)
	return nil, nil
}

func (w *dlqWorld) run(args ...string) (string, string, int) {
	w.t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--bootstrap-servers", w.bootstrap, "--url", w.url)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := runDLQ(ctx, args, &out, &errb)
	return out.String(), errb.String(), code
}

// TestDLQCommands runs each command as an on-call engineer would and checks
// what it prints.
func TestDLQCommands(t *testing.T) {
	w := newDLQWorld(t, 8)
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  []string // substrings of stdout
		err  []string // substrings of stderr
	}{
		{"list", []string{"list"}, 0, []string{"orders-dlq  (es-sink)", "depth 8 of 8 records", "error class   record 6 · retriable 2", "stage         VALUE_CONVERTER 6 · TASK_PUT 2", "source topic  orders 8"}, nil},
		{"inspect pretty JSON", []string{"inspect", "es-sink", "--limit", "1"}, 0,
			[]string{"orders-dlq-0@0  failed", "record  VALUE_CONVERTER  attempt 1", "origin    orders-0@0  connector es-sink task 0", "error     *errors.errorString: invalid character 'x'", `headers   trace-id="abc"`, `key       user-17`, "value     {\n", `"tags": [`},
			[]string{"1 matched of 1 dead letters read from orders-dlq", "stopped at --limit 1"}},
		{"inspect binary as hex", []string{"inspect", "orders-dlq", "--error-class", "retriable", "--limit", "1"}, 0, []string{"TASK_PUT", "deadbeef"}, nil},
		{"replay dry run", []string{"replay", "es-sink", "--to", "source", "--error-class", "record", "--dry-run"}, 0, []string{"dry run: would replay 6 of 8 dead letters in orders-dlq: orders 6"}, nil},
		{"replay", []string{"replay", "es-sink", "--to", "source", "--error-class", "record"}, 0, []string{"replayed 6 records from orders-dlq in", "orders 6; run"}, nil},
		{"replay again does nothing", []string{"replay", "es-sink", "--to", "source", "--error-class", "record"}, 0, []string{"nothing to replay: none of the 5 dead letters read from orders-dlq"}, nil},
		{"skip", []string{"skip", "es-sink", "--error-class", "retriable", "--limit", "1", "--reason", "duplicate of INC-42", "--who", "oncall@pager"}, 0,
			[]string{"skipped 1 dead letters of orders-dlq (partition 0: 3)", `by oncall@pager, reason "duplicate of INC-42"`}, nil},
		{"replay into the sink through the worker", []string{"replay", "es-sink", "--to", "sink"}, 0, []string{"replayed 1 records from orders-dlq in", "es-sink 1; run"}, nil},
		{"list after draining", []string{"list", "--no-scan"}, 0, []string{"depth 0 of 8 records"}, nil},
		{"unknown target", []string{"inspect", "nope"}, 2, nil, []string{"unknown dead-letter queue: no connector or topic named nope (dead-letter queues: orders-dlq)"}},
		{"connector without queue", []string{"replay", "pg-sink", "--to", "source"}, 2, nil, []string{"connector pg-sink has no dead-letter queue"}},
		{"bad regex", []string{"replay", "es-sink", "--to", "source", "--match", "(x"}, 2, nil, []string{`match "(x": not a valid regular expression`}},
		{"future time", []string{"inspect", "es-sink", "--until", "2999-01-01"}, 2, nil, []string{"is in the future"}},
		{"missing destination", []string{"replay", "es-sink"}, 2, nil, []string{"--to source or --to sink is required"}},
		{"missing reason", []string{"skip", "es-sink"}, 2, nil, []string{"--reason TEXT is required"}},
		{"missing target", []string{"inspect"}, 2, nil, []string{"want TARGET"}},
		{"bad output", []string{"list", "-o", "yaml"}, 2, nil, []string{"want text or json"}},
		{"bad rate", []string{"replay", "es-sink", "--to", "source", "--rate", "0"}, 2, nil, []string{"--rate"}},
		{"unknown command", []string{"drain"}, 2, nil, []string{`unknown command "drain"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := w.run(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, s := range tc.out {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.err {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
		})
	}
	if w.sinkGot != 1 {
		t.Errorf("the sink got %d records, want the 1 left", w.sinkGot)
	}
}

// TestDLQJSONOutput: -o json prints documents a script can read.
func TestDLQJSONOutput(t *testing.T) {
	w := newDLQWorld(t, 3)
	out, errOut, code := w.run("inspect", "es-sink", "-o", "json", "--all")
	var recs []dlq.Record
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 3 || recs[0].Value.Format != dlq.FormatJSON {
		t.Fatalf("inspect -o json: exit %d: %s %s", code, out, errOut)
	}
	out, _, code = w.run("list", "-o", "json")
	var sums []dlq.Summary
	if code != 0 || json.Unmarshal([]byte(out), &sums) != nil || len(sums) != 1 || sums[0].Depth != 3 {
		t.Fatalf("list -o json: exit %d: %s", code, out)
	}
	out, _, code = w.run("replay", "es-sink", "--to", "source", "-o", "json", "--rate", "1000/s")
	var res dlq.ReplayResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Replayed != 3 {
		t.Fatalf("replay -o json: exit %d: %s", code, out)
	}
}

func TestDLQHelpers(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := dlqCommas(n); got != want {
			t.Errorf("commas(%d) = %q, want %q", n, got, want)
		}
	}
	for s, want := range map[string]float64{"": 0, "500": 500, "500/s": 500, "2.5": 2.5} {
		if got, err := dlqParseRate(s); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v", s, got, err)
		}
	}
	long := strings.Repeat("x", 5000)
	if p := dlqPreview(dlq.NewPayload([]byte(long))); !strings.Contains(p, "… (5,000 bytes, text; -o json shows all)") {
		t.Errorf("long text preview ends %q", p[len(p)-60:])
	}
	if got := dlqOffsets(map[int32][]dlq.Span{0: {{From: 0, To: 3}, {From: 7, To: 8}}, 2: {{From: 1, To: 2}}}); got != " (partition 0: 0-2,7; partition 2: 1)" {
		t.Errorf("offsets = %q", got)
	}
}
