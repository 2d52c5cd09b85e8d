package rest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkListExpandStatus is GET /connectors?expand=status with 200
// connectors of 2 tasks each, over real HTTP on loopback, from parallel
// clients. It reports requests per second and the p50/p99 latency.
func BenchmarkListExpandStatus(b *testing.B) {
	for _, n := range []int{200} {
		b.Run(fmt.Sprintf("connectors=%d", n), func(b *testing.B) {
			e := newEnv(b)
			ctx := context.Background()
			for i := range n {
				name := fmt.Sprintf("bench-%03d", i)
				cfg := map[string]string{"connector.class": "FileStreamSink", "topics": "t", "tasks.max": "2"}
				if _, err := e.h.PutConnector(ctx, name, cfg, ""); err != nil {
					b.Fatal(err)
				}
			}
			url := e.url + "/connectors?expand=status"
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			defer tr.CloseIdleConnections()
			var mu sync.Mutex
			var lat []time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				local := make([]time.Duration, 0, 1024)
				for pb.Next() {
					t0 := time.Now()
					resp, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					local = append(local, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if len(lat) == 0 {
				return
			}
			slices.Sort(lat)
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
