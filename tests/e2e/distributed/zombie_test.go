package distributed

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// TestFollowerStopped: a follower running tasks is stopped (SIGSTOP) past its
// session timeout, its tasks move, then it resumes (SIGCONT) and rejoins. No
// two instances of a task wrote in overlapping windows. Each source writes
// to its own topic with LogAppendTime, so a record's timestamp is when the
// broker appended it, and its producer id names the task instance that wrote
// it: per topic, the windows [first, last append] of the producer ids must
// not overlap. A zombie flushing what it buffered before it was stopped would
// show as a window that starts before the new instance's and ends after.
func TestFollowerStopped(t *testing.T) {
	e := setup(t)
	ws := e.cluster(t, 3, nil)
	adm := e.Admin
	dir := t.TempDir()
	const conns = 6
	var apps []*appender
	var topics []string
	for i := range conns {
		topic := e2etest.UniqueName(fmt.Sprintf("dist-zombie%d", i))
		topics = append(topics, topic)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		_, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"message.timestamp.type": kadm.StringPtr("LogAppendTime")}, topic)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("z%d.txt", i))
		apps = append(apps, startAppender(t, path, 5*time.Millisecond))
		cfg := map[string]any{"name": fmt.Sprintf("z%d", i), "config": map[string]string{
			"connector.class": "FileStreamSource", "file": path, "topic": topic, "tasks.max": "1",
		}}
		var code int
		for range 50 {
			if code, err = call("POST", ws[i%3].URL+"/connectors", cfg, nil); err == nil && code != 409 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil || code != 201 {
			t.Fatalf("create z%d: %d %v", i, code, err)
		}
	}
	var cs clusterState
	owner := map[string]string{}
	e2etest.WaitFor(t, 60*time.Second, "every task running", func() (bool, string) {
		if _, err := call("GET", ws[0].URL+"/cluster", nil, &cs); err != nil {
			return false, err.Error()
		}
		if !cs.Stable || len(cs.Members) != 3 {
			return false, fmt.Sprintf("%+v", cs)
		}
		for i := range conns {
			var st e2etest.ConnectorStatus
			if code, err := call("GET", ws[0].URL+fmt.Sprintf("/connectors/z%d/status", i), nil, &st); err != nil || code != 200 ||
				len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
				return false, fmt.Sprintf("z%d: %d %v %+v", i, code, err, st)
			}
			owner[fmt.Sprintf("z%d", i)] = st.Tasks[0].WorkerID
		}
		return true, ""
	})
	// A follower that runs a task.
	var victim *e2etest.Worker
	for _, w := range ws {
		if "http://"+cs.Leader == w.URL {
			continue
		}
		for _, o := range owner {
			if "http://"+o == w.URL {
				victim = w
			}
		}
	}
	if victim == nil {
		t.Fatalf("no follower runs a task: %+v", owner)
	}
	time.Sleep(time.Second)
	victim.Signal(syscall.SIGSTOP)
	stopped := time.Now()
	t.Logf("SIGSTOP %s (owners %v)", victim.URL, owner)
	var others []*e2etest.Worker
	for _, w := range ws {
		if w != victim {
			others = append(others, w)
		}
	}
	e2etest.WaitFor(t, 60*time.Second, "the stopped worker's tasks running elsewhere", func() (bool, string) {
		for i := range conns {
			var st e2etest.ConnectorStatus
			if code, err := call("GET", others[i%2].URL+fmt.Sprintf("/connectors/z%d/status", i), nil, &st); err != nil || code != 200 ||
				len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" || "http://"+st.Tasks[0].WorkerID == victim.URL {
				return false, fmt.Sprintf("z%d: %d %v %+v", i, code, err, st)
			}
		}
		return true, ""
	})
	t.Logf("tasks moved %v after SIGSTOP", time.Since(stopped).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	victim.Signal(syscall.SIGCONT)
	t.Logf("SIGCONT after %v", time.Since(stopped).Round(time.Millisecond))
	e2etest.WaitFor(t, 60*time.Second, "the resumed worker back in the group", func() (bool, string) {
		if _, err := call("GET", others[0].URL+"/cluster", nil, &cs); err != nil {
			return false, err.Error()
		}
		return cs.Stable && len(cs.Members) == 3, fmt.Sprintf("%+v", cs)
	})
	time.Sleep(3 * time.Second)
	total := 0
	for _, a := range apps {
		total += a.finish()
	}
	time.Sleep(2 * time.Second)

	type window struct {
		pid         int64
		first, last time.Time
		n           int
	}
	lines := 0
	for i, topic := range topics {
		cl := e.NewClient(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		byPID := map[int64]*window{}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			fs := cl.PollFetches(ctx)
			cancel()
			n := 0
			fs.EachRecord(func(r *kgo.Record) {
				n++
				w := byPID[r.ProducerID]
				if w == nil {
					w = &window{pid: r.ProducerID, first: r.Timestamp}
					byPID[r.ProducerID] = w
				}
				w.last, w.n = r.Timestamp, w.n+1
			})
			lines += n
			if n == 0 {
				break
			}
		}
		cl.Close()
		var wins []*window
		for _, w := range byPID {
			wins = append(wins, w)
		}
		slices.SortFunc(wins, func(a, b *window) int { return a.first.Compare(b.first) })
		var desc []string
		for j, w := range wins {
			desc = append(desc, fmt.Sprintf("pid %d: %d records %s..%s", w.pid, w.n, w.first.Format("15:04:05.000"), w.last.Format("15:04:05.000")))
			if j > 0 && !w.first.After(wins[j-1].last) {
				t.Errorf("z%d: producer %d wrote from %s while producer %d wrote until %s: overlapping task instances",
					i, w.pid, w.first.Format("15:04:05.000"), wins[j-1].pid, wins[j-1].last.Format("15:04:05.000"))
			}
		}
		t.Logf("z%d (owner before the stop %s): %v", i, owner[fmt.Sprintf("z%d", i)], desc)
	}
	if lines < total {
		t.Errorf("lost lines: %d records for %d lines", lines, total)
	}
}
