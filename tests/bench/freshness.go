package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
)

// freshnessScenario: at a steady rate below saturation (o.rate records/s
// from a producer in the harness, for o.freshFor), the time from each
// record's timestamp (also embedded in the value as "ts") to the moment the
// harness sees it in the sink: a new line of the file (the file is polled
// every millisecond), a new row in PostgreSQL (polled every 5 ms). Each run
// uses a new topic; the sink is started and has written a warm-up record
// before the measured records are sent.
func freshnessScenario(ctx context.Context, o options) ([]run, error) {
	size := o.sizes[0]
	var runs []run
	runs = append(runs, alternate(ctx, o, "freshness, file", size, []string{"freshet", "kafka-connect"}, func(ctx context.Context, sys string, i int, r *run) error {
		dir := runDir(o, "fresh-file", sys, i)
		topic, err := newTopic(ctx, o, "fresh-file")
		if err != nil {
			return err
		}
		out := filepath.Join(dir, "sink.txt")
		var p *proc
		if sys == "freshet" {
			p, err = startFreshet(o, dir, nil, fileConnector(topic, out))
		} else {
			p, err = startConnect(o, dir, nil, fileConnector(topic, out))
		}
		if err != nil {
			return err
		}
		defer p.stop()
		t := &fileTail{path: out}
		return fresh(ctx, o, p, sys, topic, kindPlain, size, r, t.poll, time.Millisecond)
	})...)
	if o.pgURL == "" {
		return runs, nil
	}
	conn, err := pgx.Connect(ctx, o.pgURL)
	if err != nil {
		return runs, fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	runs = append(runs, alternate(ctx, o, "freshness, postgres", size, []string{"freshet", sysDebezium}, func(ctx context.Context, sys string, i int, r *run) error {
		dir := runDir(o, "fresh-pg", sys, i)
		topic, err := newTopic(ctx, o, "fresh-pg")
		if err != nil {
			return err
		}
		table := fmt.Sprintf("bench_fresh_%d_%d", i, time.Now().UnixNano()%1e9)
		if err := createEventTable(ctx, conn, table); err != nil {
			return err
		}
		defer conn.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
		p, err := startPGSink(o, dir, sys, topic, table)
		if err != nil {
			return err
		}
		defer p.stop()
		var last int64
		poll := func(seen func(ts int64)) error {
			rows, err := conn.Query(ctx, "SELECT seq, ts FROM "+table+" WHERE seq > $1 ORDER BY seq", last)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var ts int64
				if err := rows.Scan(&last, &ts); err != nil {
					return err
				}
				seen(ts)
			}
			return rows.Err()
		}
		return fresh(ctx, o, p, sys, topic, kindSchema, size, r, poll, 5*time.Millisecond)
	})...)
	return runs, nil
}

func newTopic(ctx context.Context, o options, prefix string) (string, error) {
	name := fmt.Sprintf("bench-%s-%d", prefix, time.Now().UnixNano())
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.bootstrap))
	if err != nil {
		return "", err
	}
	defer cl.Close()
	return name, createTopic(ctx, cl, name)
}

// fresh sends one warm-up record and waits for it, then produces at o.rate
// for o.freshFor while poll reports the "ts" of every record that became
// visible since its last call; it fills in r with the latencies of the
// records sent after the warm-up.
func fresh(ctx context.Context, o options, p *proc, name, topic, kind string, size int, r *run, poll func(seen func(ts int64)) error, every time.Duration) error {
	warm := newGenerator(kind, size).value(0, time.Now())
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.bootstrap), kgo.DefaultProduceTopic(topic))
	if err != nil {
		return err
	}
	err = cl.ProduceSync(ctx, &kgo.Record{Value: warm}).FirstErr()
	cl.Close()
	if err != nil {
		return err
	}
	var start int64 // unix µs; records before it are the warm-up
	var lat []float64
	var seen int64
	deadline := time.Now().Add(3 * time.Minute)
	for seen == 0 {
		if err := poll(func(int64) { seen++ }); err != nil {
			return err
		}
		if p.exited() || time.Now().After(deadline) {
			return fmt.Errorf("the warm-up record did not reach the sink; see %s", p.log.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cpu0 := p.treeCPU()
	start = time.Now().UnixMicro()
	type sent struct {
		n, bytes int64
		err      error
	}
	done := make(chan sent, 1)
	go func() {
		n, b, err := producePaced(ctx, o, topic, kind, size, o.rate, o.freshFor)
		done <- sent{n, b, err}
	}()
	var total *sent
	var quiet time.Time
	for {
		before := len(lat)
		err := poll(func(ts int64) {
			if ts >= start {
				lat = append(lat, float64(time.Now().UnixMicro()-ts)/1000)
			}
		})
		if err != nil {
			return err
		}
		if total == nil {
			select {
			case s := <-done:
				if s.err != nil {
					return s.err
				}
				total = &s
				quiet = time.Now().Add(30 * time.Second)
			default:
			}
		}
		if total != nil && int64(len(lat)) >= total.n {
			break
		}
		if total != nil && time.Now().After(quiet) {
			return fmt.Errorf("%d of %d records visible 30 s after the last was sent; see %s", len(lat), total.n, p.log.Name())
		}
		if p.exited() {
			return fmt.Errorf("the sink exited; see %s", p.log.Name())
		}
		if len(lat) == before {
			time.Sleep(every)
		}
	}
	p.tree(name, r)
	r.CPUSeconds -= cpu0
	r.Records, r.Bytes, r.Seconds, r.Rate = total.n, total.bytes, o.freshFor.Seconds(), o.rate
	r.Latency = percentiles(lat)
	r.Note = "records/s is the offered rate; CPU is over the paced window"
	return nil
}

func percentiles(lat []float64) *latency {
	sort.Float64s(lat)
	at := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	l := &latency{Samples: len(lat), P50: at(.5), P90: at(.9), P99: at(.99), P999: at(.999)}
	if len(lat) > 0 {
		l.Max = lat[len(lat)-1]
	}
	for i := 1; i <= 100; i++ {
		l.Pct = append(l.Pct, round(at(float64(i)/100), 3))
	}
	return l
}

func round(x float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(x*p+0.5)) / p
}

// fileTail reads the complete lines added to a file since the last poll.
type fileTail struct {
	path string
	off  int64
	rest []byte
	buf  []byte
}

func (t *fileTail) poll(seen func(ts int64)) error {
	f, err := os.Open(t.path)
	if err != nil {
		return nil // not created yet
	}
	defer f.Close()
	if t.buf == nil {
		t.buf = make([]byte, 1<<20)
	}
	for {
		k, err := f.ReadAt(t.buf, t.off)
		t.off += int64(k)
		data := append(t.rest, t.buf[:k]...)
		for {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break
			}
			seen(parseTS(data[:i]))
			data = data[i+1:]
		}
		t.rest = append(t.rest[:0:0], data...)
		if err != nil || k == 0 {
			return nil
		}
	}
}
