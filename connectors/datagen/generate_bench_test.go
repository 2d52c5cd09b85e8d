package datagen

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkGenerate measures records generated per second by one task, with
// no rate limit, for both value forms.
func BenchmarkGenerate(b *testing.B) {
	for _, schemas := range []bool{true, false} {
		b.Run(fmt.Sprintf("schemas=%t", schemas), func(b *testing.B) {
			tk := newTask()
			cfg := map[string]string{"rate.per.sec": "0", "schemas": fmt.Sprint(schemas)}
			if err := tk.Start(context.Background(), cfg, nil); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			records := 0
			for b.Loop() {
				recs, err := tk.Poll(ctx)
				if err != nil {
					b.Fatal(err)
				}
				records += len(recs)
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
		})
	}
}

// BenchmarkRecord measures generating one record.
func BenchmarkRecord(b *testing.B) {
	c, err := Parse(map[string]string{})
	if err != nil {
		b.Fatal(err)
	}
	g := newGenerator(c, 0, 0, c.Customers)
	now := time.Now()
	b.ReportAllocs()
	var seq int64
	for b.Loop() {
		_ = g.record(seq, now)
		seq++
	}
}
