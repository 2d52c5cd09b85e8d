package dlq_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/dlq"
)

func serve(t *testing.T, d *dlq.Drainer) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	h := dlq.NewHandler(d)
	for _, p := range dlq.Patterns() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, u, body string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHandlerErrors checks the status code and message of each bad request,
// and that none of them changed anything.
func TestHandlerErrors(t *testing.T) {
	e := newEnv(t)
	e.fill(3)
	srv := serve(t, e.drainer(dlq.WithSinkReplayer(&sinkFake{running: false})))
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		msg                      string
	}{
		{"unknown connector", "GET", "/connectors/nope/dlq", "", 404, "Connector nope not found"},
		{"connector without queue", "GET", "/connectors/pg-sink/dlq/records", "", 404, "no dead-letter queue"},
		{"bad regex", "GET", "/connectors/es-sink/dlq/records?match=" + url.QueryEscape("a("), "", 400, "not a valid regular expression"},
		{"future time", "GET", "/connectors/es-sink/dlq/records?since=2099-01-01", "", 400, "is in the future"},
		{"sink not running", "POST", "/connectors/es-sink/dlq/replay", `{"to":"sink"}`, 409, "not running"},
		{"replay bad regex", "POST", "/connectors/es-sink/dlq/replay", `{"to":"source","filter":{"match":"("}}`, 400, "regular expression"},
		{"unknown field", "POST", "/connectors/es-sink/dlq/replay", `{"to":"source","speed":3}`, 400, "unknown field"},
		{"skip without reason", "POST", "/connectors/es-sink/dlq/skip", `{}`, 400, "needs a reason"},
		{"replay unknown connector", "POST", "/connectors/nope/dlq/replay", `{"to":"source"}`, 404, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, tc.method, srv.URL+tc.path, tc.body, "Accept", dlq.NDJSON)
			var eb dlq.ErrorBody
			if err := json.Unmarshal([]byte(body), &eb); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if code != tc.code || eb.Code != tc.code || !strings.Contains(eb.Message, tc.msg) {
				t.Errorf("%d %s; want %d with %q", code, body, tc.code, tc.msg)
			}
		})
	}
	if c := e.cursor(); len(c) != 0 {
		t.Errorf("a bad request committed a cursor: %v", c)
	}
	assertNoAudit(t, e)
}

// TestHandlerDrain lists, inspects, replays with a streamed progress and
// skips through the REST API.
func TestHandlerDrain(t *testing.T) {
	e := newEnv(t)
	e.fill(9)
	srv := serve(t, e.drainer(dlq.WithBatch(2, 1e9)))

	code, body := do(t, "GET", srv.URL+"/dlq", "")
	var sums []dlq.Summary
	if err := json.Unmarshal([]byte(body), &sums); code != 200 || err != nil || len(sums) != 2 || sums[0].Depth != 9 {
		t.Fatalf("GET /dlq = %d %s", code, body)
	}
	code, body = do(t, "GET", srv.URL+"/connectors/es-sink/dlq/records?error_class=retriable&limit=2", "")
	var ins dlq.InspectResponse
	if err := json.Unmarshal([]byte(body), &ins); code != 200 || err != nil || len(ins.Records) != 2 || !ins.Truncated || ins.Records[1].Offset != 3 {
		t.Fatalf("GET records = %d %s", code, body)
	}
	code, body = do(t, "POST", srv.URL+"/connectors/es-sink/dlq/replay", `{"to":"source","filter":{"error_class":"record"},"who":"dave"}`, "Accept", dlq.NDJSON)
	if code != 200 {
		t.Fatalf("replay = %d %s", code, body)
	}
	var last dlq.StreamLine
	progress := 0
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var l dlq.StreamLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if l.Progress != nil {
			progress++
		}
		last = l
	}
	if progress == 0 || last.Result == nil || last.Error != nil || last.Result.Replayed != 6 {
		t.Fatalf("stream: %d progress lines, last %+v", progress, last)
	}
	code, body = do(t, "POST", srv.URL+"/connectors/es-sink/dlq/skip", `{"reason":"not needed","filter":{"error_class":"retriable"}}`, "X-Freshet-User", "erin")
	var sk dlq.SkipResult
	if err := json.Unmarshal([]byte(body), &sk); code != 200 || err != nil || sk.Skipped != 3 {
		t.Fatalf("skip = %d %s", code, body)
	}
	code, body = do(t, "GET", srv.URL+"/connectors/es-sink/dlq", "")
	var s dlq.Summary
	if err := json.Unmarshal([]byte(body), &s); code != 200 || err != nil || s.Depth != 0 || s.Cursor[0] != 9 {
		t.Fatalf("summary = %d %s", code, body)
	}
	audit := e.read(dlq.DefaultAuditTopic)
	var whos []string
	for _, r := range audit {
		var m map[string]any
		_ = json.Unmarshal(r.Value, &m)
		if m["type"] == "start" {
			whos = append(whos, m["who"].(string))
		}
	}
	if strings.Join(whos, ",") != "dave,erin" {
		t.Errorf("audit who = %v", whos)
	}
}
