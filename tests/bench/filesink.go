package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const stringConverter = "org.apache.kafka.connect.storage.StringConverter"

// fileSinkScenario (runtime overhead): Kafka → file, Freshet's file sink
// against Apache Kafka Connect's FileStreamSink, same topic, same converter
// (StringConverter), one task each, runs alternating, at each record size.
func fileSinkScenario(ctx context.Context, o options) ([]run, error) {
	var runs []run
	for _, size := range o.sizes {
		t, err := topicFor(ctx, o, kindPlain, size)
		if err != nil {
			return runs, err
		}
		runs = append(runs, alternate(ctx, o, "file-sink", size, []string{"freshet", "kafka-connect"}, func(ctx context.Context, sys string, i int, r *run) error {
			r.Records, r.Bytes = int64(o.records), t.bytes
			dir := runDir(o, "file", sys, size, i)
			out := filepath.Join(dir, "sink.txt")
			conn := fileConnector(t.name, out)
			var p *proc
			var err error
			if sys == "freshet" {
				p, err = startFreshet(o, dir, nil, conn)
			} else {
				p, err = startConnect(o, dir, nil, conn)
			}
			if err != nil {
				return err
			}
			defer p.stop()
			return measureLines(ctx, p, sys, out, r)
		})...)
	}
	return runs, nil
}

// isolationScenario: the same file sink in-process and with
// plugin.isolation=process (the task runs in a `freshet plugin serve`
// child; batches cross through shared memory), 1 KiB records. Twice: into a
// file, counted by its lines, and into /dev/null, counted by the worker's
// metrics, where the sink still formats and writes every line but no disk
// stands between the two, so only what isolation costs is left to compare.
// And first the postgres sink, whose writes go to a server, as most sinks'.
func isolationScenario(ctx context.Context, o options) ([]run, error) {
	const size = 1024
	t, err := topicFor(ctx, o, kindPlain, size)
	if err != nil {
		return nil, err
	}
	runs, err := isolationPostgres(ctx, o)
	if err != nil {
		return runs, err
	}
	for _, out := range []string{"file", "/dev/null"} {
		name, label := "isolation", "file"
		if out == "/dev/null" {
			name, label = "isolation → /dev/null", "null"
		}
		runs = append(runs, alternate(ctx, o, name, size, []string{"freshet isolated", "freshet in-process"}, func(ctx context.Context, sys string, i int, r *run) error {
			r.Records, r.Bytes = int64(o.records), t.bytes
			dir := runDir(o, "iso", label, sys, size, i)
			path := out
			if out == "file" {
				path = filepath.Join(dir, "sink.txt")
			}
			conn := fileConnector(t.name, path)
			if sys == "freshet isolated" {
				conn["plugin.isolation"] = "process"
			}
			p, err := startFreshet(o, dir, nil, conn)
			if err != nil {
				return err
			}
			defer p.stop()
			if out == "file" {
				return measureLines(ctx, p, "freshet", path, r)
			}
			return measure(ctx, p, "freshet", r, func() (int64, error) { return written(ctx, p.rest), nil })
		})...)
	}
	return runs, nil
}

func fileConnector(topic, out string) map[string]string {
	return map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": out}
}

func runDir(o options, parts ...any) string {
	var s []string
	for _, p := range parts {
		s = append(s, strings.ReplaceAll(fmt.Sprint(p), " ", "-"))
	}
	dir := filepath.Join(o.work, strings.Join(s, "-"))
	_ = os.MkdirAll(dir, 0o755)
	return dir
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 18083
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeProps writes a properties file, keys sorted.
func writeProps(path string, m map[string]string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, m[k])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func merge(base, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// startFreshet starts a standalone Freshet worker with one connector. Its
// REST listener's address is in the returned proc.
func startFreshet(o options, dir string, worker, conn map[string]string) (*proc, error) {
	port := freePort()
	wp := merge(map[string]string{
		"bootstrap.servers":            o.bootstrap,
		"listeners":                    fmt.Sprintf("http://127.0.0.1:%d", port),
		"offset.storage.file.filename": filepath.Join(dir, "offsets.json"),
		"freshet.config.storage.file":  filepath.Join(dir, "connectors.json"),
		"key.converter":                stringConverter,
		"value.converter":              stringConverter,
	}, worker)
	if os.Getenv("BENCH_PPROF") != "" {
		wp["freshet.pprof.enable"] = "true"
	}
	cp := merge(map[string]string{"name": fmt.Sprintf("bench-%d", time.Now().UnixNano())}, conn)
	if err := writeProps(filepath.Join(dir, "worker.properties"), wp); err != nil {
		return nil, err
	}
	if err := writeProps(filepath.Join(dir, "sink.properties"), cp); err != nil {
		return nil, err
	}
	p, err := startProc(filepath.Join(dir, "worker.log"), o.bin,
		[]string{"worker", filepath.Join(dir, "worker.properties"), filepath.Join(dir, "sink.properties")}, nil)
	if err == nil {
		p.rest = fmt.Sprintf("http://127.0.0.1:%d", port)
		logf("freshet worker pid %d, REST %s, log %s", p.cmd.Process.Pid, p.rest, p.log.Name())
	}
	return p, err
}

// startConnect starts Apache Kafka Connect standalone (the Maven Central
// jars of tests/services) with one connector.
func startConnect(o options, dir string, worker, conn map[string]string) (*proc, error) {
	if o.kafkaLib == "" {
		return nil, skipError{"FRESHET_KAFKA_LIB_DIR is not set: tests/services/up.sh kafka provides Kafka Connect's jars"}
	}
	wp := merge(map[string]string{
		"bootstrap.servers":            o.bootstrap,
		"listeners":                    fmt.Sprintf("http://127.0.0.1:%d", freePort()),
		"offset.storage.file.filename": filepath.Join(dir, "offsets"),
		"key.converter":                stringConverter,
		"value.converter":              stringConverter,
	}, worker)
	cp := merge(map[string]string{"name": fmt.Sprintf("bench-%d", time.Now().UnixNano())}, conn)
	if err := writeProps(filepath.Join(dir, "worker.properties"), wp); err != nil {
		return nil, err
	}
	if err := writeProps(filepath.Join(dir, "sink.properties"), cp); err != nil {
		return nil, err
	}
	args := append(strings.Fields(o.connectHeap), "-XX:+UseG1GC", "-cp", o.kafkaLib+"/*",
		"org.apache.kafka.connect.cli.ConnectStandalone", filepath.Join(dir, "worker.properties"), filepath.Join(dir, "sink.properties"))
	return startProc(filepath.Join(dir, "worker.log"), "java", args, nil)
}

// measureLines waits until the sink file holds r.Records lines.
func measureLines(ctx context.Context, p *proc, name, out string, r *run) error {
	c := &lineCounter{path: out}
	return measure(ctx, p, name, r, func() (int64, error) { return c.update(), nil })
}

// measure polls count until it reaches r.Records and fills in the
// throughput window (first record visible to last record visible), CPU and
// peak RSS of the process and its children.
func measure(ctx context.Context, p *proc, name string, r *run, count func() (int64, error)) error {
	deadline := time.Now().Add(10 * time.Minute)
	var first time.Time
	var cpu0 float64
	var n0 int64
	for {
		n, err := count()
		if err != nil {
			return err
		}
		now := time.Now()
		if n > 0 && first.IsZero() {
			first, n0 = now, n
			cpu0 = p.treeCPU()
		}
		if n >= r.Records {
			if n == n0 {
				return fmt.Errorf("all %d records became visible at once: too few records to time", n)
			}
			r.Seconds = now.Sub(first).Seconds()
			r.Window = n - n0
			p.tree(name, r)
			r.CPUSeconds -= cpu0
			return nil
		}
		if p.exited() || now.After(deadline) {
			why := "the process exited"
			if now.After(deadline) {
				why = "the deadline"
			}
			return fmt.Errorf("sink had %d of %d records before %s; see %s", n, r.Records, why, p.log.Name())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
