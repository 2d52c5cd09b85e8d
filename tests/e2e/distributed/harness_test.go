package distributed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// env is what the tests need: the binary and Kafka.
type env struct{ *e2etest.Env }

func setup(t *testing.T) *env { return &env{e2etest.Setup(t)} }

// cluster starts n workers of one new group.
func (e *env) cluster(t *testing.T, n int, extra map[string]string) []*e2etest.Worker {
	return e.workers(t, e2etest.UniqueName("dist"), 0, n, extra)
}

// join starts n more workers in the group of w.
func (e *env) join(t *testing.T, w *e2etest.Worker, n int) []*e2etest.Worker {
	return e.workers(t, w.Props["group.id"], 10, n, nil)
}

// workers starts n workers of group, numbered from first, each with its
// files in a directory of its own (wN).
func (e *env) workers(t *testing.T, group string, first, n int, extra map[string]string) []*e2etest.Worker {
	t.Helper()
	root := t.TempDir()
	var ws []*e2etest.Worker
	for i := first; i < first+n; i++ {
		dir := filepath.Join(root, fmt.Sprintf("w%d", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		props := map[string]string{
			"bootstrap.servers":                 e.Bootstrap,
			"group.id":                          group,
			"config.storage.topic":              group + "-configs",
			"offset.storage.topic":              group + "-offsets",
			"status.storage.topic":              group + "-status",
			"config.storage.replication.factor": "1",
			"offset.storage.replication.factor": "1",
			"status.storage.replication.factor": "1",
			"offset.storage.partitions":         "5",
			"status.storage.partitions":         "2",
			"listeners":                         fmt.Sprintf("http://127.0.0.1:%d", e2etest.FreePort(t)),
			"session.timeout.ms":                "6000",
			"heartbeat.interval.ms":             "1000",
			"scheduled.rebalance.max.delay.ms":  "2000",
			"offset.flush.interval.ms":          "500",
			"key.converter":                     e2etest.StringConverter,
			"value.converter":                   e2etest.StringConverter,
			"consumer.session.timeout.ms":       "6000",
			"consumer.heartbeat.interval.ms":    "1000",
		}
		maps.Copy(props, extra)
		w := e.NewWorker(t, dir, props, nil)
		w.Start()
		ws = append(ws, w)
	}
	return ws
}

var httpc = &http.Client{Timeout: 20 * time.Second}

// call sends a JSON request and decodes the JSON answer into out.
func call(method, url string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s: %w", b, err)
		}
	}
	return resp.StatusCode, nil
}

// clusterState is GET /cluster.
type clusterState struct {
	Worker     string `json:"worker"`
	Generation int32  `json:"generation"`
	Leader     string `json:"leader"`
	Stable     bool   `json:"stable"`
	Members    []struct {
		Worker     string   `json:"worker"`
		Connectors []string `json:"connectors"`
		Tasks      []string `json:"tasks"`
	} `json:"members"`
}

// readLines reads topic from the start until it holds want distinct values
// or timeout passes, and returns the distinct values and the record count.
func (e *env) readLines(t *testing.T, topic string, want int, timeout time.Duration) (map[string]int, int) {
	t.Helper()
	cl := e.NewClient(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]int{}
	total := 0
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for len(seen) < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			seen[string(r.Value)]++
			total++
		})
	}
	return seen, total
}
