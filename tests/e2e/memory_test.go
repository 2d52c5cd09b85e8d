package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// TestStalledSinkKeepsMemoryBounded preloads a topic with far more data
// than the worker may buffer, points the file sink at a FIFO that nobody
// reads, so that the sink blocks on its first large write, and checks that
// the worker's resident memory stays under a bound derived from
// freshet.task.buffer.bytes, and that it stops fetching. Then it drains the
// FIFO and checks that the worker delivers every record.
//
// It runs twice: with values that do not compress (the bytes on the wire are
// the bytes in memory), and with values that compress well, as JSON events
// do, produced with franz-go's default snappy compression, where a fetch of
// a few MiB holds many times that once decompressed.
func TestStalledSinkKeepsMemoryBounded(t *testing.T) {
	s := setup(t)
	t.Run("incompressible values", func(t *testing.T) {
		stalledSink(t, s, false, true)
	})
	t.Run("compressed values", func(t *testing.T) {
		stalledSink(t, s, true, false)
	})
}

func stalledSink(t *testing.T, s *services, compressible, drain bool) {
	const (
		records     = 180_000
		valueSize   = 1024
		bufferBytes = 16 * mib
		sample      = 15 * time.Second
	)
	topic := e2etest.UniqueName("e2e-stall")
	s.CreateTopic(t, topic, 3)
	began := time.Now()
	preload(t, s, topic, records, valueSize, compressible)
	end := s.EndOffsets(t, topic)
	if e2etest.Sum(end) != records {
		t.Fatalf("preloaded topic holds %d records, want %d", e2etest.Sum(end), records)
	}
	t.Logf("preloaded %d records of %d bytes (%.0f MiB of values, %.0f MiB on the broker's disk) in %s", records, valueSize,
		float64(records*valueSize)/mib, float64(s.topicDiskSize(t, topic, 3))/mib, time.Since(began).Round(time.Millisecond))

	dir := t.TempDir()
	props := s.WorkerProps(t, dir)
	props["value.converter"] = e2etest.StringConverter
	props["freshet.task.buffer.bytes"] = strconv.Itoa(bufferBytes)

	// The fixed part of the bound: an idle worker of the same config.
	idle := idleRSS(t, s, filepath.Join(dir, "idle"), props)

	fifo := filepath.Join(dir, "sink.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	// Open the read end first, without blocking, so that the sink's open for
	// writing succeeds; then read nothing, so the sink's writes block once
	// the pipe's 64 KiB are full.
	rd, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open fifo: %v", err)
	}
	defer rd.Close()

	const name = "stall"
	w := s.NewWorker(t, dir, props, map[string]map[string]string{name: {
		"connector.class":                  "file-sink",
		"tasks.max":                        "1",
		"topics":                           topic,
		"file":                             fifo,
		"freshet.file.include.coordinates": "true",
	}})
	w.Start()
	w.WaitRunning(name, time.Minute)
	// The sink is stalled once the worker has fetched data it cannot write.
	w.WaitFor(time.Minute, "the worker to fetch records", func() (bool, string) {
		n, err := procIO(w.PID(), "rchar")
		return err == nil && n > mib/2, fmt.Sprintf("rchar %d, %v", n, err)
	})

	// Sample RSS while the sink is stalled.
	rchar0, _ := procIO(w.PID(), "rchar")
	var maxRSS int64
	samples := 0
	for stop := time.Now().Add(sample); time.Now().Before(stop); time.Sleep(100 * time.Millisecond) {
		rss, err := procStatus(w.PID(), "VmRSS")
		if err != nil {
			t.Fatalf("worker RSS: %v (worker running: %v)", err, w.Running())
		}
		maxRSS = max(maxRSS, rss*1024)
		samples++
	}
	hwm, err := procStatus(w.PID(), "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	hwm *= 1024
	rchar1, _ := procIO(w.PID(), "rchar")
	committed := s.CommittedOffsets(t, "connect-"+name, topic)

	// The bound: the idle worker, plus what the design lets a stalled sink task
	// hold. The task polls at most one batch and holds it while Put blocks
	// (≤ buffer bytes of records, and their converted copies: 2×buffer);
	// franz-go keeps at most one more fetch (≤ buffer/2); the file sink holds
	// ≤ 1 MiB of lines; Go's GC lets the heap reach about twice the live data
	// (GOGC=100). 4×buffer covers the buffered data twice over and is still a
	// third of the topic's size, which an unbounded consumer would pull in.
	bound := idle + 4*bufferBytes
	t.Logf("stalled sink: worker RSS max %.1f MiB over %d samples in %s, peak (VmHWM) %.1f MiB; idle worker %.1f MiB; bound %.1f MiB (idle + 4 × freshet.task.buffer.bytes of %d MiB)",
		float64(maxRSS)/mib, samples, sample, float64(hwm)/mib, float64(idle)/mib, float64(bound)/mib, bufferBytes/mib)
	t.Logf("stalled sink: worker read %.1f MiB in total, %.1f MiB during the %s of stall; committed offsets %v of %v",
		float64(rchar1)/mib, float64(rchar1-rchar0)/mib, sample, committed, end)
	if hwm > bound {
		t.Errorf("worker peak RSS %.1f MiB is over the bound %.1f MiB", float64(hwm)/mib, float64(bound)/mib)
	}
	// Fetching paused: the worker did not read the topic into memory. It may
	// have read a few polls' worth before the sink blocked.
	if rchar1 > 4*bufferBytes {
		t.Errorf("worker read %.1f MiB while its sink was stalled; fetching should pause at %d MiB buffered",
			float64(rchar1)/mib, bufferBytes/mib)
	}
	if !drain {
		// A blocked sink must not block shutdown either: the worker waits
		// task.shutdown.graceful.timeout.ms (5 s by default) for its tasks.
		w.Stop(20 * time.Second)
		return
	}

	// Drain the FIFO: the worker resumes and delivers every record.
	drained := time.Now()
	p := newCoordParser(topic, false)
	buf := make([]byte, 1<<20)
	var readBytes int64
	w.WaitFor(time.Minute, "every record through the FIFO", func() (bool, string) {
		if err := rd.SetReadDeadline(time.Now().Add(500 * time.Millisecond)); err != nil {
			t.Fatalf("fifo read deadline: %v", err)
		}
		for {
			n, err := rd.Read(buf)
			p.feed(buf[:n])
			readBytes += int64(n)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				t.Fatalf("read fifo after %d bytes: %v", readBytes, err)
			}
		}
		return covers(p, end)
	})
	t.Logf("drained %.1f MiB, %d lines, in %s after the stall", float64(readBytes)/mib, len(p.entries), time.Since(drained).Round(time.Millisecond))
	st, err := w.Status(name)
	if err != nil {
		t.Fatal(err)
	}
	if st.Connector.State != "RUNNING" || len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
		t.Errorf("after draining, status is %s, want the connector and its task RUNNING", st)
	}
	d := analyze(p.entries, end, nil)
	t.Logf("delivered %d lines for %d offsets (%d duplicates)", d.lines, e2etest.Sum(end), d.lines-d.distinct())
	if d.nMissing > 0 || d.beyond > 0 || len(d.disorder) > 0 || p.junk > 0 {
		t.Errorf("after draining: %d offsets missing (e.g. %v), %d past the end, %d lines without coordinates, order: %v",
			d.nMissing, d.missing, d.beyond, p.junk, d.disorder)
	}
	w.Stop(30 * time.Second)
}

// idleRSS runs a worker with props and no connectors and returns its largest
// RSS over two seconds once its REST API answers.
func idleRSS(t *testing.T, s *services, dir string, props map[string]string) int64 {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := make(map[string]string, len(props))
	for k, v := range props {
		p[k] = v
	}
	p["listeners"] = fmt.Sprintf("http://127.0.0.1:%d", e2etest.FreePort(t))
	p["offset.storage.file.filename"] = filepath.Join(dir, "connect.offsets")
	p["freshet.config.storage.file"] = filepath.Join(dir, "connect.configs")
	w := s.NewWorker(t, dir, p, nil)
	w.Start()
	w.WaitFor(time.Minute, "the idle worker's REST API", func() (bool, string) {
		_, err := w.Status("none")
		if err == nil {
			return false, "status of an unknown connector answered 200"
		}
		// Any HTTP answer (404 here) means the worker is up.
		return bytes.Contains([]byte(err.Error()), []byte("GET status")), err.Error()
	})
	var rss int64
	for stop := time.Now().Add(2 * time.Second); time.Now().Before(stop); time.Sleep(100 * time.Millisecond) {
		v, err := procStatus(w.PID(), "VmRSS")
		if err != nil {
			t.Fatal(err)
		}
		rss = max(rss, v*1024)
	}
	w.Stop(30 * time.Second)
	return rss
}

// preload produces n records with values of size bytes, each starting with
// its number. Compressible values repeat one pattern and are sent with
// franz-go's default (snappy) compression; the others are random letters,
// sent uncompressed.
func preload(t *testing.T, s *services, topic string, n, size int, compressible bool) {
	t.Helper()
	opts := []kgo.Opt{kgo.DefaultProduceTopic(topic), kgo.ProducerBatchMaxBytes(1 << 20), kgo.MaxBufferedRecords(20_000)}
	if !compressible {
		opts = append(opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	}
	cl := s.NewClient(t, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	filler := bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz012345"), size/32+1)
	rng := rand.New(rand.NewPCG(1, 2))
	var failed atomic.Pointer[error]
	for i := range n {
		v := make([]byte, size)
		k := copy(v, fmt.Sprintf("%08d ", i))
		if compressible {
			copy(v[k:], filler)
		} else {
			for j := k; j < size; j++ {
				v[j] = 'a' + byte(rng.IntN(26))
			}
		}
		cl.Produce(ctx, &kgo.Record{Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.CompareAndSwap(nil, &err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatalf("preload flush: %v", err)
	}
	if err := failed.Load(); err != nil {
		t.Fatalf("preload produce: %v", *err)
	}
}

// topicDiskSize returns the bytes the broker stores for the topic's
// partitions 0…partitions-1.
func (s *services) topicDiskSize(t *testing.T, topic string, partitions int32) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	set := kadm.TopicsSet{topic: {}}
	for p := range partitions {
		set[topic][p] = struct{}{}
	}
	dirs, err := s.Admin.DescribeAllLogDirs(ctx, set)
	if err != nil {
		t.Fatalf("describe log dirs: %v", err)
	}
	var n int64
	dirs.Each(func(d kadm.DescribedLogDir) {
		n += d.Topics.Size()
	})
	return n
}
