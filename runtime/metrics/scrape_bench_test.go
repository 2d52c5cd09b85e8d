package metrics_test

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/runtime/metrics"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// BenchmarkScrape measures one GET /metrics of a worker with one sink task
// that has seen traffic: what a Prometheus scrape costs the worker.
func BenchmarkScrape(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []metrics.Option
	}{{"all", nil}, {"without-process", []metrics.Option{metrics.WithoutProcessMetrics()}}} {
		b.Run(c.name, func(b *testing.B) {
			col, err := metrics.New(c.opts...)
			if err != nil {
				b.Fatal(err)
			}
			id := worker.TaskID{Connector: "bench", Task: 0}
			batch := benchBatch(500)
			var ts []time.Time
			for range 10 {
				ts = sinkBatchHooks(col, id, batch, ts)
			}
			h := col.Handler()
			req := httptest.NewRequest("GET", "/metrics", nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				io.Copy(io.Discard, w.Body)
			}
		})
	}
}
