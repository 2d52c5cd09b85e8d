package distributed

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// appender writes numbered lines to a file the way an application log
// grows, until stopped.
type appender struct {
	path string
	n    int
	stop chan struct{}
	done chan struct{}
}

func startAppender(t *testing.T, path string, every time.Duration) *appender {
	a := &appender{path: path, stop: make(chan struct{}), done: make(chan struct{})}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(a.done)
		defer f.Close()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-a.stop:
				return
			case <-tick.C:
				a.n++
				fmt.Fprintf(f, "%s line %06d\n", filepath.Base(path), a.n)
			}
		}
	}()
	return a
}

func (a *appender) finish() int {
	close(a.stop)
	<-a.done
	return a.n
}

// TestLeaderKilled: connectors created through any worker run once across
// the cluster; SIGKILL the leader and its work moves, a new leader is
// elected, every survivor answers the REST API, and no line is lost.
func TestLeaderKilled(t *testing.T) {
	e := setup(t)
	ws := e.cluster(t, 3, nil)
	e2etest.WaitFor(t, 30*time.Second, "three members in one generation", func() (bool, string) {
		var cs clusterState
		if _, err := call("GET", ws[0].URL+"/cluster", nil, &cs); err != nil {
			return false, err.Error()
		}
		return cs.Stable && len(cs.Members) == 3, fmt.Sprintf("%+v", cs)
	})

	dir := t.TempDir()
	topic := e2etest.UniqueName("dist-lines")
	const conns = 6
	var apps []*appender
	for i := range conns {
		path := filepath.Join(dir, fmt.Sprintf("src%d.txt", i))
		apps = append(apps, startAppender(t, path, 20*time.Millisecond))
		cfg := map[string]any{"name": fmt.Sprintf("src%d", i), "config": map[string]string{
			"connector.class": "FileStreamSource", "file": path, "topic": topic, "tasks.max": "1",
		}}
		// Through a different worker each time: followers forward to the leader.
		code, err := call("POST", ws[i%3].URL+"/connectors", cfg, nil)
		if err != nil || code != http.StatusCreated {
			t.Fatalf("create src%d through %s: %d %v", i, ws[i%3].URL, code, err)
		}
	}
	// Each connector and task runs on exactly one worker, and every worker
	// reports the same.
	var before clusterState
	e2etest.WaitFor(t, 30*time.Second, "every task running", func() (bool, string) {
		if _, err := call("GET", ws[1].URL+"/cluster", nil, &before); err != nil {
			return false, err.Error()
		}
		count := map[string]int{}
		for _, m := range before.Members {
			for _, x := range append(slices.Clone(m.Connectors), m.Tasks...) {
				count[x]++
			}
		}
		for i := range conns {
			for _, x := range []string{fmt.Sprintf("src%d", i), fmt.Sprintf("src%d-0", i)} {
				if count[x] != 1 {
					return false, fmt.Sprintf("%s assigned %d times: %+v", x, count[x], before)
				}
			}
		}
		for i := range conns {
			var st e2etest.ConnectorStatus
			if code, err := call("GET", ws[2].URL+fmt.Sprintf("/connectors/src%d/status", i), nil, &st); err != nil || code != 200 {
				return false, fmt.Sprintf("status src%d: %d %v", i, code, err)
			}
			if st.Connector.State != "RUNNING" || len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
				return false, fmt.Sprintf("src%d: %+v", i, st)
			}
		}
		return true, ""
	})
	time.Sleep(time.Second)

	// Kill the leader.
	var leader *e2etest.Worker
	var survivors []*e2etest.Worker
	for _, w := range ws {
		if "http://"+before.Leader == w.URL {
			leader = w
		} else {
			survivors = append(survivors, w)
		}
	}
	if leader == nil {
		t.Fatalf("leader %q is none of the workers", before.Leader)
	}
	killed := time.Now()
	leader.Kill()
	t.Logf("killed leader %s (generation %d)", before.Leader, before.Generation)

	var after clusterState
	e2etest.WaitFor(t, 40*time.Second, "a new leader and the dead leader's work reassigned", func() (bool, string) {
		for _, w := range survivors {
			if _, err := call("GET", w.URL+"/cluster", nil, &after); err != nil {
				return false, err.Error()
			}
			if !after.Stable || len(after.Members) != 2 || after.Leader == before.Leader {
				return false, fmt.Sprintf("%s: %+v", w.URL, after)
			}
		}
		for i := range conns {
			var st e2etest.ConnectorStatus
			code, err := call("GET", survivors[i%2].URL+fmt.Sprintf("/connectors/src%d/status", i), nil, &st)
			if err != nil || code != 200 || st.Connector.State != "RUNNING" || len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" ||
				"http://"+st.Tasks[0].WorkerID == leader.URL || "http://"+st.Connector.WorkerID == leader.URL {
				return false, fmt.Sprintf("src%d: %d %v %+v", i, code, err, st)
			}
		}
		return true, ""
	})
	t.Logf("work reassigned %v after the kill; new leader %s, generation %d", time.Since(killed).Round(time.Millisecond), after.Leader, after.Generation)

	// The REST API answers from every survivor, writes included (forwarded).
	for _, w := range survivors {
		code, err := call("PUT", w.URL+"/connectors/src0/pause", nil, nil)
		if err != nil || code != http.StatusAccepted {
			t.Errorf("pause through %s: %d %v", w.URL, code, err)
		}
		code, err = call("PUT", w.URL+"/connectors/src0/resume", nil, nil)
		if err != nil || code != http.StatusAccepted {
			t.Errorf("resume through %s: %d %v", w.URL, code, err)
		}
	}
	time.Sleep(2 * time.Second)
	total := 0
	for _, a := range apps {
		total += a.finish()
	}
	seen, records := e.readLines(t, topic, total, 60*time.Second)
	if len(seen) != total {
		t.Fatalf("lost lines: %d distinct of %d written (%d records)", len(seen), total, records)
	}
	t.Logf("all %d lines delivered (%d records, %d duplicates, at least once across the kill)", total, records, records-total)
}
