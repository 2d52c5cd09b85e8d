package e2e

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// TestBadConfigFailsAtStart starts workers with a bad worker or connector
// config and checks that each exits non-zero with a message naming the key
// (and, for an unknown connector class, the classes there are).
func TestBadConfigFailsAtStart(t *testing.T) {
	s := setup(t)
	for _, tc := range []struct {
		name      string
		worker    map[string]string // changes to the worker properties
		connector map[string]string // nil: no connector
		want      []*regexp.Regexp  // each must match the output
	}{
		{
			name:   "worker key with a malformed number",
			worker: map[string]string{"offset.flush.interval.ms": "abc"},
			want:   []*regexp.Regexp{regexp.MustCompile(`offset\.flush\.interval\.ms`)},
		},
		{
			name:   "worker key out of range",
			worker: map[string]string{"freshet.task.buffer.bytes": "0"},
			want:   []*regexp.Regexp{regexp.MustCompile(`freshet\.task\.buffer\.bytes`)},
		},
		{
			name: "connector key with a malformed number",
			connector: map[string]string{
				"connector.class": "datagen", "tasks.max": "1", "topic": "e2e-never-created", "rate.per.sec": "fast",
			},
			want: []*regexp.Regexp{regexp.MustCompile(`rate\.per\.sec`)},
		},
		{
			name: "unknown connector class",
			connector: map[string]string{
				"connector.class": "com.example.NoSuchConnector", "tasks.max": "1", "topics": "e2e-never-created",
			},
			want: []*regexp.Regexp{
				regexp.MustCompile(`com\.example\.NoSuchConnector`),
				regexp.MustCompile(`datagen`),
				regexp.MustCompile(`file-sink`),
				regexp.MustCompile(`file-source`),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			props := s.WorkerProps(t, dir)
			for k, v := range tc.worker {
				props[k] = v
			}
			var conns map[string]map[string]string
			if tc.connector != nil {
				conns = map[string]map[string]string{"bad": tc.connector}
			}
			w := s.NewWorker(t, dir, props, conns)
			w.Start()
			code := w.WaitExit(time.Minute)
			out := w.Log()
			t.Logf("exit code %d; output ends:\n%s", code, w.LogTail(5))
			if code == 0 {
				t.Errorf("worker exited 0, want non-zero")
			}
			for _, re := range tc.want {
				if !re.MatchString(out) {
					t.Errorf("output does not match %q", re)
				}
			}
		})
	}
}

// TestMalformedRecordFailsTask sends a record that is not JSON to a file
// sink that reads JSON with errors.tolerance=none, and checks that the task
// fails with the cause in its status trace and that the group's committed
// offset does not pass the bad record (it is not silently skipped).
func TestMalformedRecordFailsTask(t *testing.T) {
	s := setup(t)
	topic := e2etest.UniqueName("e2e-malformed")
	s.CreateTopic(t, topic, 1)
	s.Produce(t,
		&kgo.Record{Topic: topic, Value: []byte(`{"n":1}`)},
		&kgo.Record{Topic: topic, Value: []byte(`not json{`)},
		&kgo.Record{Topic: topic, Value: []byte(`{"n":3}`)},
	)
	dir := t.TempDir()
	out := filepath.Join(dir, "sink.txt")
	const name = "strict"
	w := s.NewWorker(t, dir, s.WorkerProps(t, dir), map[string]map[string]string{name: {
		"connector.class":                  "FileStreamSink",
		"tasks.max":                        "1",
		"topics":                           topic,
		"file":                             out,
		"freshet.file.include.coordinates": "true",
		"value.converter":                  e2etest.JSONConverter,
		"value.converter.schemas.enable":   "false",
		"errors.tolerance":                 "none",
	}})
	w.Start()
	var st e2etest.ConnectorStatus
	w.WaitFor(time.Minute, "the sink task to fail", func() (bool, string) {
		var err error
		st, err = w.Status(name)
		if err != nil {
			return false, err.Error()
		}
		return len(st.Tasks) == 1 && st.Tasks[0].State == "FAILED", st.String()
	})
	trace := st.Tasks[0].Trace
	t.Logf("status: connector %s, task %s; trace:\n%s", st.Connector.State, st.Tasks[0].State, trace)
	if st.Name != name || st.Type != "sink" || st.Tasks[0].WorkerID == "" {
		t.Errorf("status %s: want name %q, type sink and a worker_id", st, name)
	}
	// The cause: the bytes are not JSON.
	if !regexp.MustCompile(`(?i)json|invalid character|serializ`).MatchString(trace) {
		t.Errorf("task trace does not name the cause (a JSON conversion error): %q", trace)
	}
	committed := s.CommittedOffsets(t, "connect-"+name, topic)
	if off, ok := committed[0]; ok && off > 1 {
		t.Errorf("group committed offset %d, past the malformed record at offset 1", off)
	}
	tail := newFileTail(out, topic)
	tail.update(t)
	for _, c := range tail.entries {
		if c.Offset >= 1 {
			t.Errorf("sink wrote offset %d (%q), at or past the malformed record", c.Offset, c.Value)
		}
	}
	t.Logf("committed offsets %v; sink wrote %d lines", committed, len(tail.entries))
	if strings.Contains(w.Log(), "panic") {
		t.Errorf("worker log mentions a panic")
	}
	w.Stop(30 * time.Second)
}
