package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// scramProps returns worker properties for the broker's SASL_SSL listener
// with SCRAM-SHA-512 and a PEM truststore, written as a Kafka Connect user
// writes them (unprefixed: Freshet passes the security keys down to the
// producers and consumers of tasks).
func (s *services) scramProps(t *testing.T, dir, password string) map[string]string {
	p := s.WorkerProps(t, dir)
	p["bootstrap.servers"] = s.saslBootstrap
	p["security.protocol"] = "SASL_SSL"
	p["sasl.mechanism"] = s.saslMechanism
	p["sasl.jaas.config"] = fmt.Sprintf(`org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";`,
		s.saslUser, password)
	p["ssl.truststore.type"] = "PEM"
	p["ssl.truststore.location"] = s.caFile
	return p
}

// TestScramOverTLS runs datagen → Kafka → file sink through the broker's
// SASL_SSL listener (SCRAM-SHA-512 over TLS) and checks end to end delivery.
func TestScramOverTLS(t *testing.T) {
	s := setup(t)
	if s.saslMechanism != "SCRAM-SHA-512" {
		t.Fatalf("FRESHET_KAFKA_SASL_MECHANISM=%s, this test needs SCRAM-SHA-512", s.saslMechanism)
	}
	const records = 5000
	topic := e2etest.UniqueName("e2e-scram")
	s.CreateTopic(t, topic, 2)
	dir := t.TempDir()
	out := filepath.Join(dir, "sink.txt")
	gen := map[string]string{
		"connector.class": "datagen",
		"tasks.max":       "1",
		"topic":           topic,
		"rate.per.sec":    "0",
		"max.records":     strconv.Itoa(records),
		"seed":            "7",
	}
	want := expectedDatagen(t, gen)
	w := s.NewWorker(t, dir, s.scramProps(t, dir, s.saslPassword), map[string]map[string]string{
		"gen": gen,
		"sink": {
			"connector.class":                  "file-sink",
			"tasks.max":                        "1",
			"topics":                           topic,
			"file":                             out,
			"freshet.file.include.coordinates": "true",
		},
	})
	began := time.Now()
	w.Start()
	w.WaitRunning("gen", time.Minute)
	w.WaitRunning("sink", time.Minute)
	tail := newFileTail(out, topic)
	var end map[int32]int64
	w.WaitFor(2*time.Minute, "every record in the sink's file", func() (bool, string) {
		end = s.EndOffsets(t, topic)
		if e2etest.Sum(end) < int64(want.total) {
			return false, fmt.Sprintf("topic holds %d of %d records", e2etest.Sum(end), want.total)
		}
		tail.update(t)
		return covers(tail.coordParser, end)
	})
	t.Logf("SASL_SSL/SCRAM-SHA-512: %d records through the topic into the file in %s", e2etest.Sum(end), time.Since(began).Round(time.Millisecond))
	w.Stop(30 * time.Second)

	// What went through TLS is what datagen emits.
	ids := map[string]bool{}
	tombs := 0
	for _, r := range s.ReadTopic(t, topic) {
		if r.Value == nil {
			tombs++
			continue
		}
		id := jsonEventID(r.Value)
		if _, ok := want.ids[id]; !ok {
			t.Errorf("unexpected record at %d/%d: %.100q", r.Partition, r.Offset, r.Value)
			break
		}
		ids[id] = true
	}
	if len(ids) != len(want.ids) || tombs < want.total-len(want.ids) {
		t.Errorf("topic holds %d of %d events and %d of %d tombstones", len(ids), len(want.ids), tombs, want.total-len(want.ids))
	}
	tail.update(t)
	if d := analyze(tail.entries, end, nil); d.nMissing > 0 || d.beyond > 0 || len(d.disorder) > 0 {
		t.Errorf("sink: %d offsets missing (e.g. %v), %d past the end, order: %v", d.nMissing, d.missing, d.beyond, d.disorder)
	}
}

// TestScramWrongPassword checks that a wrong SCRAM password is reported as
// an authentication failure: the task fails with it in its status trace, or
// the worker exits with it.
func TestScramWrongPassword(t *testing.T) {
	s := setup(t)
	topic := e2etest.UniqueName("e2e-scram-bad")
	s.CreateTopic(t, topic, 1)
	dir := t.TempDir()
	const name = "gen"
	w := s.NewWorker(t, dir, s.scramProps(t, dir, "not-"+s.saslPassword), map[string]map[string]string{name: {
		"connector.class": "datagen",
		"tasks.max":       "1",
		"topic":           topic,
		"rate.per.sec":    "100",
		"max.records":     "100",
	}})
	w.Start()
	auth := regexp.MustCompile(`(?i)authenticat`)
	var how string
	e2etest.WaitFor(t, 45*time.Second, "the authentication failure to be reported", func() (bool, string) {
		if !w.Running() {
			how = "worker exited: " + w.LogTail(5)
			return true, ""
		}
		st, err := w.Status(name)
		if err != nil {
			return false, err.Error()
		}
		if len(st.Tasks) > 0 && st.Tasks[0].State == "FAILED" {
			how = "task FAILED, trace: " + st.Tasks[0].Trace
			return true, ""
		}
		if st.Connector.State == "FAILED" {
			how = "connector FAILED, trace: " + st.Connector.Trace
			return true, ""
		}
		return false, st.String()
	})
	t.Logf("wrong password: %s", how)
	if !auth.MatchString(how) {
		t.Errorf("the failure does not say authentication failed: %s", how)
	}
	if !w.Running() && w.ExitErr() == nil {
		t.Errorf("worker exited 0 on an authentication failure")
	}
	if n := e2etest.Sum(s.EndOffsets(t, topic)); n != 0 {
		t.Errorf("topic holds %d records although the worker could not authenticate", n)
	}
	if regexp.MustCompile(`not-` + regexp.QuoteMeta(s.saslPassword)).MatchString(w.Log()) {
		t.Errorf("the worker's log holds the password")
	}
}
