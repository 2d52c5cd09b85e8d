package rest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/runtime/rest/resttest"
)

// testdata is runtime/rest/testdata/kafka-connect, found from this file.
func testdata(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "runtime", "rest", "testdata", "kafka-connect")
}

// connectURL is the Kafka Connect REST URL from tests/services, or fails.
func connectURL(t *testing.T) string {
	t.Helper()
	if os.Getenv("FRESHET_E2E") != "1" {
		t.Skip("end-to-end test against Kafka Connect: run with FRESHET_E2E=1 after tests/services/up.sh connect")
	}
	u := os.Getenv("FRESHET_CONNECT_URL")
	if u == "" {
		t.Fatal("FRESHET_CONNECT_URL is not set: run tests/services/up.sh connect and source $FRESHET_SERVICES_DIR/env")
	}
	resp, err := http.Get(u + "/health")
	if err != nil {
		t.Fatalf("Kafka Connect at %s is not reachable: %v (tests/services/up.sh connect)", u, err)
	}
	resp.Body.Close()
	return u
}

func TestRecordKafkaConnect(t *testing.T) {
	base := connectURL(t)
	dir := testdata(t)
	script, err := resttest.Load(filepath.Join(dir, "script.json"))
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Version string `json:"version"`
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var names []string
	resp, err = http.Get(base + "/connectors")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&names)
	resp.Body.Close()
	if len(names) > 0 {
		t.Fatalf("Kafka Connect at %s already has connectors %v: restart it (tests/services/down.sh connect; up.sh connect)", base, names)
	}

	b := make([]byte, 4)
	_, _ = rand.Read(b)
	id := "zq" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	got, err := script.Run(ctx, &http.Client{Timeout: time.Minute}, base, resttest.Options{Target: "kafka-connect", ID: id, Sleep: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range script.Steps {
		if st.Freshet == nil && got[i].Status != st.Status {
			t.Errorf("step %q: Kafka Connect answered %d, the script expects %d: %s", st.Name, got[i].Status, st.Status, got[i].Body)
		}
	}
	path := filepath.Join(dir, "kafka-connect-"+info.Version+".json")
	if os.Getenv("FRESHET_RECORD") == "1" {
		rec := resttest.Recording{
			Source:    "Apache Kafka Connect " + info.Version + " standalone (Maven Central jars, tests/services/connect.sh)",
			Recorded:  time.Now().UTC().Format("2006-01-02"),
			Responses: got,
		}
		out, err := json.MarshalIndent(rec, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %d responses to %s", len(got), path)
		return
	}
	rec, err := resttest.LoadRecording(path)
	if err != nil {
		t.Fatalf("%v (record it with FRESHET_RECORD=1)", err)
	}
	for i, st := range script.Steps {
		st.Freshet = nil // comparing Kafka Connect with itself
		if d := resttest.Compare(st, rec.Responses[i], got[i], nil); len(d) > 0 {
			t.Errorf("step %q: Kafka Connect %s no longer answers as recorded:\n  %s", st.Name, info.Version, strings.Join(d, "\n  "))
		}
	}
}
