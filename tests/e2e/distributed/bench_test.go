package distributed

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// TestSettleAndForwardFigures logs two figures (it asserts no timing):
// how long 50 connectors of 4 tasks take to settle on three workers after
// the last one joins, and what forwarding a REST write from a follower to
// the leader adds at p50 (pause then resume, through the leader and through
// a follower).
func TestSettleAndForwardFigures(t *testing.T) {
	e := setup(t)
	ws := e.cluster(t, 1, nil)
	const conns, tasks = 50, 4
	topic := e2etest.UniqueName("dist-bench")
	start := time.Now()
	for i := range conns {
		cfg := map[string]any{"name": fmt.Sprintf("b%02d", i), "config": map[string]string{
			"connector.class": "datagen", "topic": topic, "tasks.max": fmt.Sprint(tasks), "rate.per.sec": "4",
		}}
		var code int
		var err error
		for range 100 {
			if code, err = call("POST", ws[0].URL+"/connectors", cfg, nil); err == nil && code != http.StatusConflict {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil || code != http.StatusCreated {
			t.Fatalf("create b%02d: %d %v", i, code, err)
		}
	}
	settled := func(w *e2etest.Worker, members int) (bool, string) {
		var cs clusterState
		if _, err := call("GET", w.URL+"/cluster", nil, &cs); err != nil {
			return false, err.Error()
		}
		if !cs.Stable || len(cs.Members) != members {
			return false, fmt.Sprintf("generation %d stable %v members %d", cs.Generation, cs.Stable, len(cs.Members))
		}
		n, lo, hi := 0, 1<<30, 0
		for _, m := range cs.Members {
			n += len(m.Tasks)
			lo, hi = min(lo, len(m.Tasks)), max(hi, len(m.Tasks))
		}
		if n != conns*tasks || hi-lo > 1 {
			return false, fmt.Sprintf("%d tasks assigned, %d..%d per member", n, lo, hi)
		}
		var st map[string]struct {
			Status e2etest.ConnectorStatus `json:"status"`
		}
		if code, err := call("GET", w.URL+"/connectors?expand=status", nil, &st); err != nil || code != 200 {
			return false, fmt.Sprintf("statuses: %d %v", code, err)
		}
		running := 0
		for _, s := range st {
			for _, x := range s.Status.Tasks {
				if x.State == "RUNNING" {
					running++
				}
			}
		}
		return running == conns*tasks, fmt.Sprintf("%d of %d tasks RUNNING", running, conns*tasks)
	}
	e2etest.WaitFor(t, 120*time.Second, "every task on one worker", func() (bool, string) { return settled(ws[0], 1) })
	t.Logf("%d connectors × %d tasks created and running on one worker in %v", conns, tasks, time.Since(start).Round(time.Millisecond))

	more := e.join(t, ws[0], 2)
	joined := time.Now()
	ws = append(ws, more...)
	e2etest.WaitFor(t, 120*time.Second, "every task settled on three workers", func() (bool, string) { return settled(ws[1], 3) })
	t.Logf("settle: %d tasks balanced and RUNNING on three workers %v after the last worker started",
		conns*tasks, time.Since(joined).Round(time.Millisecond))

	var cs clusterState
	if _, err := call("GET", ws[0].URL+"/cluster", nil, &cs); err != nil {
		t.Fatal(err)
	}
	var leader, follower *e2etest.Worker
	for _, w := range ws {
		if "http://"+cs.Leader == w.URL {
			leader = w
		} else {
			follower = w
		}
	}
	p50 := func(w *e2etest.Worker) time.Duration {
		var d []time.Duration
		for i := 0; len(d) < 60 && i < 300; i++ {
			op := "pause"
			if i%2 == 1 {
				op = "resume"
			}
			s := time.Now()
			code, err := call("PUT", w.URL+"/connectors/b00/"+op, nil, nil)
			if err == nil && code == http.StatusAccepted {
				d = append(d, time.Since(s))
			}
		}
		slices.Sort(d)
		if len(d) == 0 {
			t.Fatalf("no write through %s succeeded", w.URL)
		}
		return d[len(d)/2]
	}
	direct, forwarded := p50(leader), p50(follower)
	t.Logf("REST write p50: %v at the leader, %v through a follower: forwarding adds %v", direct, forwarded, forwarded-direct)
}
