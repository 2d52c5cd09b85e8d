package distributed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// TestRollingRestart restarts the three workers one after the other
// (SIGTERM, start again) while six file sources write: no line is lost, and
// each task moves at most once per restart, as the status topic records its
// owners (a RUNNING status names the worker that runs the task).
func TestRollingRestart(t *testing.T) {
	e := setup(t)
	// Long enough for a restarted worker to come back for its work.
	ws := e.cluster(t, 3, map[string]string{"scheduled.rebalance.max.delay.ms": "15000"})
	dir := t.TempDir()
	topic := e2etest.UniqueName("dist-rolling")
	const conns = 6
	var apps []*appender
	for i := range conns {
		path := filepath.Join(dir, fmt.Sprintf("src%d.txt", i))
		apps = append(apps, startAppender(t, path, 10*time.Millisecond))
		cfg := map[string]any{"name": fmt.Sprintf("src%d", i), "config": map[string]string{
			"connector.class": "FileStreamSource", "file": path, "topic": topic, "tasks.max": "1",
		}}
		var code int
		var err error
		for range 50 { // 409 while the cluster is still forming
			if code, err = call("POST", ws[i%3].URL+"/connectors", cfg, nil); err == nil && code != http.StatusConflict {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil || code != http.StatusCreated {
			t.Fatalf("create src%d: %d %v", i, code, err)
		}
	}
	settled := func(what string, after int32) int32 {
		var cs clusterState
		e2etest.WaitFor(t, 60*time.Second, what, func() (bool, string) {
			if _, err := call("GET", ws[0].URL+"/cluster", nil, &cs); err != nil {
				return false, err.Error()
			}
			if !cs.Stable || len(cs.Members) != 3 || cs.Generation <= after {
				return false, fmt.Sprintf("%+v", cs)
			}
			count := map[string]int{}
			for _, m := range cs.Members {
				for _, x := range m.Tasks {
					count[x]++
				}
			}
			for i := range conns {
				if x := fmt.Sprintf("src%d-0", i); count[x] != 1 {
					return false, fmt.Sprintf("%s assigned %d times: %+v", x, count[x], cs)
				}
				var st e2etest.ConnectorStatus
				if code, err := call("GET", ws[i%3].URL+fmt.Sprintf("/connectors/src%d/status", i), nil, &st); err != nil || code != 200 ||
					len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
					return false, fmt.Sprintf("src%d: %d %v %+v", i, code, err, st)
				}
			}
			return true, ""
		})
		return cs.Generation
	}
	gen := settled("every task running", 0)
	time.Sleep(time.Second)
	bounds := []time.Time{time.Now()} // restart i is between bounds[i] and bounds[i+1]
	for i, w := range ws {
		start := time.Now()
		w.Stop(40 * time.Second)
		w.Start()
		gen = settled(fmt.Sprintf("every task running after restarting w%d", i), gen)
		t.Logf("restart of %s: settled in %v (generation %d)", w.URL, time.Since(start).Round(time.Millisecond), gen)
		time.Sleep(time.Second)
		bounds = append(bounds, time.Now())
	}
	total := 0
	for _, a := range apps {
		total += a.finish()
	}
	seen, records := e.readLines(t, topic, total, 60*time.Second)
	if len(seen) != total {
		t.Errorf("lost lines: %d distinct of %d written (%d records)", len(seen), total, records)
	}
	t.Logf("all %d lines delivered (%d records, %d duplicates)", total, records, records-total)

	// Owners per task from the status topic, per restart.
	type owner struct {
		at     time.Time
		worker string
	}
	owners := map[string][]owner{}
	cl := e.NewClient(t, kgo.ConsumeTopics(ws[0].Props["status.storage.topic"]), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			task, ok := strings.CutPrefix(string(r.Key), "status-task-")
			var st struct {
				State    string `json:"state"`
				WorkerID string `json:"worker_id"`
			}
			if !ok || r.Value == nil || json.Unmarshal(r.Value, &st) != nil || st.State != "RUNNING" {
				return
			}
			owners[task] = append(owners[task], owner{r.Timestamp, st.WorkerID})
		})
		if n == 0 {
			break
		}
	}
	for i := range conns {
		task := fmt.Sprintf("src%d-0", i)
		var trail []string
		for _, o := range owners[task] {
			trail = append(trail, o.worker)
		}
		for r := range ws {
			moves, prev := 0, ""
			for _, o := range owners[task] {
				if o.at.Before(bounds[r]) {
					prev = o.worker
					continue
				}
				if !o.at.Before(bounds[r+1]) {
					break
				}
				if prev != "" && o.worker != prev {
					moves++
				}
				prev = o.worker
			}
			if moves > 1 {
				t.Errorf("%s moved %d times during restart %d (owners %v)", task, moves, r, trail)
			}
		}
		t.Logf("%s owners: %v", task, trail)
	}
}
