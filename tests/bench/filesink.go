package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// fileSinkScenario: Kafka → file, Freshet's file sink against Apache Kafka
// Connect's FileStreamSink, same topic, same converter (StringConverter),
// one task each, runs alternating.
func fileSinkScenario(ctx context.Context, o options) ([]run, error) {
	topic := fmt.Sprintf("bench-file-%d", time.Now().Unix())
	bytes, err := produce(ctx, o, topic, 3)
	if err != nil {
		return nil, err
	}
	var runs []run
	for i := range o.runs {
		for _, sys := range []string{"freshet", "kafka-connect"} {
			r := run{Scenario: "file-sink", System: sys, Run: i, Records: int64(o.records), Bytes: bytes}
			var err error
			switch sys {
			case "freshet":
				err = runFreshetFileSink(ctx, o, topic, i, &r)
			case "kafka-connect":
				err = runConnectFileSink(ctx, o, topic, i, &r)
			}
			if err != nil {
				r.Error = err.Error()
				fmt.Fprintf(os.Stderr, "bench: %s run %d: %v\n", sys, i, err)
			} else {
				fmt.Fprintf(os.Stderr, "bench: %s run %d: %.0f records/s, %.2f CPU s/1M, peak RSS %d MiB\n", sys, i, r.recordsPerSec(), r.cpuPerMillion(), r.PeakRSS>>20)
			}
			runs = append(runs, r)
		}
	}
	return runs, nil
}

// produce writes o.records values of o.size bytes (one line each) to a new
// topic and returns the value bytes written.
func produce(ctx context.Context, o options, topic string, partitions int32) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.bootstrap), kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic); err != nil {
		return 0, fmt.Errorf("create topic %s: %w", topic, err)
	}
	fmt.Fprintf(os.Stderr, "bench: producing %d records of %d B to %s\n", o.records, o.size, topic)
	// Values compress like real JSON events do (about 3:1), not like a run
	// of one letter: fetch sizes count compressed bytes.
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"search", "page_view", "add_to_cart", "checkout", "return", "ios", "android", "web", "shoes", "bags", "GBP", "EUR"}
	fill := func(n int) string {
		var sb strings.Builder
		for sb.Len() < n {
			sb.WriteString(words[rng.IntN(len(words))])
			fmt.Fprintf(&sb, "-%d ", rng.IntN(100000))
		}
		return sb.String()[:n]
	}
	var total int64
	errc := make(chan error, 1)
	for i := range o.records {
		v := fmt.Sprintf(`{"event_id":"e-%09d","customer_id":"cust-%06d","pad":"%s"}`, i, i%10000, fill(max(o.size-60, 0)))
		total += int64(len(v))
		cl.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("cust-%06d", i%10000)), Value: []byte(v)}, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errc <- err:
				default:
				}
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return 0, err
	}
	select {
	case err := <-errc:
		return 0, fmt.Errorf("produce: %w", err)
	default:
	}
	return total, nil
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 18083
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeProps(path string, kv ...string) error {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s=%s\n", kv[i], kv[i+1])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func runFreshetFileSink(ctx context.Context, o options, topic string, i int, r *run) error {
	dir := filepath.Join(o.work, fmt.Sprintf("freshet-%d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out := filepath.Join(dir, "sink.txt")
	if err := writeProps(filepath.Join(dir, "worker.properties"),
		"bootstrap.servers", o.bootstrap,
		"listeners", fmt.Sprintf("http://127.0.0.1:%d", freePort()),
		"offset.storage.file.filename", filepath.Join(dir, "offsets.json"),
		"freshet.config.storage.file", filepath.Join(dir, "connectors.json"),
		"key.converter", "org.apache.kafka.connect.storage.StringConverter",
		"value.converter", "org.apache.kafka.connect.storage.StringConverter",
	); err != nil {
		return err
	}
	if err := writeProps(filepath.Join(dir, "sink.properties"),
		"name", fmt.Sprintf("bench-file-freshet-%d-%d", time.Now().Unix(), i),
		"connector.class", "FileStreamSink", "tasks.max", "1", "topics", topic, "file", out,
	); err != nil {
		return err
	}
	p, err := startProc(filepath.Join(dir, "worker.log"), o.bin,
		[]string{"worker", filepath.Join(dir, "worker.properties"), filepath.Join(dir, "sink.properties")}, nil)
	if err != nil {
		return err
	}
	defer p.stop()
	return measure(ctx, p, out, r)
}

func runConnectFileSink(ctx context.Context, o options, topic string, i int, r *run) error {
	if o.kafkaLib == "" {
		return errors.New("FRESHET_KAFKA_LIB_DIR is not set: tests/services/up.sh kafka provides Kafka Connect's jars")
	}
	dir := filepath.Join(o.work, fmt.Sprintf("connect-%d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out := filepath.Join(dir, "sink.txt")
	if err := writeProps(filepath.Join(dir, "worker.properties"),
		"bootstrap.servers", o.bootstrap,
		"listeners", fmt.Sprintf("http://127.0.0.1:%d", freePort()),
		"offset.storage.file.filename", filepath.Join(dir, "offsets"),
		"key.converter", "org.apache.kafka.connect.storage.StringConverter",
		"value.converter", "org.apache.kafka.connect.storage.StringConverter",
	); err != nil {
		return err
	}
	if err := writeProps(filepath.Join(dir, "sink.properties"),
		"name", fmt.Sprintf("bench-file-connect-%d-%d", time.Now().Unix(), i),
		"connector.class", "FileStreamSink", "tasks.max", "1", "topics", topic, "file", out,
	); err != nil {
		return err
	}
	p, err := startProc(filepath.Join(dir, "worker.log"), "java",
		[]string{"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-cp", o.kafkaLib + "/*",
			"org.apache.kafka.connect.cli.ConnectStandalone", filepath.Join(dir, "worker.properties"), filepath.Join(dir, "sink.properties")}, nil)
	if err != nil {
		return err
	}
	defer p.stop()
	return measure(ctx, p, out, r)
}

// measure waits until the sink file holds r.Records lines and fills in the
// throughput window (first line to last line), CPU and peak RSS.
func measure(ctx context.Context, p *proc, out string, r *run) error {
	c := &lineCounter{path: out}
	deadline := time.Now().Add(10 * time.Minute)
	var first time.Time
	for {
		n := c.update()
		now := time.Now()
		if n > 0 && first.IsZero() {
			first = now
		}
		if n >= r.Records {
			r.Seconds = now.Sub(first).Seconds()
			r.CPUSeconds, r.PeakRSS = p.usage()
			return nil
		}
		if p.exited() || now.After(deadline) {
			return fmt.Errorf("sink wrote %d of %d lines before %s; see %s", n, r.Records, map[bool]string{true: "the deadline", false: "the process exited"}[now.After(deadline)], p.log.Name())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
