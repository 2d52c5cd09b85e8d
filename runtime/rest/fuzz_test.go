package rest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzAPI throws arbitrary methods, paths, query strings and bodies at the
// API. Whatever arrives, the answer is below 500, an error is Kafka
// Connect's JSON error body, and nothing panics; TestMain's goleak check
// shows no goroutine outlives the run. The f.Add seeds run in every `go
// test`; `go test -fuzz FuzzAPI ./runtime/rest` explores further.
func FuzzAPI(f *testing.F) {
	for _, s := range []struct{ method, path, query, body string }{
		{"GET", "/", "", ""},
		{"GET", "/connectors", "expand=status&expand=info", ""},
		{"POST", "/connectors", "", `{"name":"f","config":{"connector.class":"FileStreamSink","topics":"t","tasks.max":"2"}}`},
		{"POST", "/connectors", "", `{"name":"s","config":{"connector.class":"FileStreamSource","topic":"t","file":"/x"},"initial_state":"STOPPED"}`},
		{"POST", "/connectors", "", `{"name":"f","config":{"connector.class":"FileStreamSink"`},
		{"POST", "/connectors", "", `{"name":"\u0000","config":{}}`},
		{"POST", "/connectors", "", `[{"name":1}]`},
		{"PUT", "/connectors/f/config", "", `{"connector.class":"FileStreamSink","topics":"t","tasks.max":"99999999999"}`},
		{"PUT", "/connectors/%2F..%2F/config", "", `{"connector.class":"FileStreamSink","topics":"t"}`},
		{"PATCH", "/connectors/f/config", "", `{"tasks.max":null,"topics":1e400}`},
		{"GET", "/connectors/f/status", "", ""},
		{"GET", "/connectors/f/tasks/-1/status", "", ""},
		{"GET", "/connectors/f/tasks/99999999999999999999/status", "", ""},
		{"POST", "/connectors/f/restart", "includeTasks=true&onlyFailed=true", ""},
		{"POST", "/connectors/f/tasks/0/restart", "", ""},
		{"PUT", "/connectors/f/stop", "", ""},
		{"PATCH", "/connectors/f/offsets", "", `{"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":-1},"offset":{"kafka_offset":"x"}}]}`},
		{"PATCH", "/connectors/s/offsets", "", `{"offsets":[{"partition":{"a":{"b":1}},"offset":{"c":[1]}}]}`},
		{"PATCH", "/connectors/s/offsets", "", `{"offsets":[{"partition":null,"offset":null}]}`},
		{"DELETE", "/connectors/f/offsets", "", ""},
		{"PUT", "/connectors/f/topics/reset", "", ""},
		{"PUT", "/connector-plugins/FileStreamSink/config/validate", "", `{"connector.class":"FileStreamSink","transforms":"a","transforms.a.type":"x"}`},
		{"PUT", "/connector-plugins/x/config/validate", "", `{"connector.class":""}`},
		{"GET", "/connector-plugins", "connectorsOnly=false", ""},
		{"GET", "/connector-plugins/org.apache.kafka.connect.transforms.RegexRouter/config", "", ""},
		{"PUT", "/admin/loggers/a.b", "scope=cluster", `{"level":"TRACE"}`},
		{"PUT", "/admin/loggers/", "", `{"level":7}`},
		{"DELETE", "/connectors/f", "", ""},
		{"OPTIONS", "/connectors", "", ""},
		{"HEAD", "/connectors", "", ""},
		{"BREW", "/connectors", "%zz=%", "\xff\xfe"},
		{"GET", "//connectors/../../etc/passwd", "", ""},
	} {
		f.Add(s.method, s.path, s.query, s.body)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#\x00\r\n") || strings.ContainsAny(query, " #\x00\r\n") {
			t.Skip("not a request a client can send")
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		var req *http.Request
		func() {
			defer func() {
				if recover() != nil {
					req = nil // httptest.NewRequest panics on what is not a request line
				}
			}()
			req = httptest.NewRequest(method, target, strings.NewReader(body))
		}()
		if req == nil {
			t.Skip("not a request line")
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.srv.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%s %s %q: no answer in 10 s\n%s", method, target, body, buf[:n])
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && method != "HEAD" {
			var eb struct {
				Code *int    `json:"error_code"`
				Msg  *string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Code == nil || *eb.Code != rec.Code || eb.Msg == nil {
				t.Fatalf("%s %s: %d with a body that is not Kafka Connect's error: %q", method, target, rec.Code, rec.Body)
			}
		}
		if ct := rec.Header().Get("Content-Type"); rec.Body.Len() > 0 && ct != "application/json" {
			t.Fatalf("%s %s: Content-Type %q", method, target, ct)
		}
		if rec.Body.Len() > 0 && !utf8.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: response is not UTF-8", method, target)
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, r := range m {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
