package rest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/runtime/rest/resttest"
)

// TestKafkaConnectCompatibility replays the script recorded against Apache
// Kafka Connect (testdata/kafka-connect, recorded by tests/e2e/rest) against
// Freshet and compares every response: status, Content-Type, Location and
// the body's shape. Where Freshet departs on purpose (Kafka Connect's 500s
// for client mistakes) the script says so and why.
func TestKafkaConnectCompatibility(t *testing.T) {
	dir := filepath.Join("testdata", "kafka-connect")
	script, err := resttest.Load(filepath.Join(dir, "script.json"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := filepath.Glob(filepath.Join(dir, "kafka-connect-*.json"))
	if err != nil || len(recs) == 0 {
		t.Fatalf("no recording in %s (record one: FRESHET_E2E=1 FRESHET_RECORD=1 go test ./tests/e2e/rest)", dir)
	}
	for _, path := range recs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rec, err := resttest.LoadRecording(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Responses) != len(script.Steps) {
				t.Fatalf("recording has %d responses, script %d steps: re-record it", len(rec.Responses), len(script.Steps))
			}
			e := newEnv(t)
			got, err := script.Run(context.Background(), e.client, e.url, resttest.Options{Target: "freshet", ID: "zq00000000"})
			if err != nil {
				t.Fatal(err)
			}
			extra := map[string]bool{"aliases": true}
			for i, st := range script.Steps {
				if d := resttest.Compare(st, rec.Responses[i], got[i], extra); len(d) > 0 {
					t.Errorf("step %d %q (%s %s):\n  %s\n  freshet: %d %s", i, st.Name, st.Method, st.Path, strings.Join(d, "\n  "), got[i].Status, got[i].Body)
				}
			}
		})
	}
}
