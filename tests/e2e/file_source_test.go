package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// appender appends numbered lines ("line-0000001") to a file from its own
// goroutine until stopped, in batches of whole lines.
type appender struct {
	path string
	stop chan struct{}
	done chan struct{}
	n    int   // lines written; read after done
	err  error // read after done
}

func startAppender(path string, perBatch int, every time.Duration) *appender {
	a := &appender{path: path, stop: make(chan struct{}), done: make(chan struct{})}
	go a.run(perBatch, every)
	return a
}

func (a *appender) run(perBatch int, every time.Duration) {
	defer close(a.done)
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		a.err = err
		return
	}
	defer f.Close()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var b strings.Builder
	for {
		select {
		case <-a.stop:
			return
		case <-tick.C:
		}
		b.Reset()
		for range perBatch {
			a.n++
			fmt.Fprintf(&b, "line-%07d\n", a.n)
		}
		if _, err := f.WriteString(b.String()); err != nil {
			a.err = err
			return
		}
	}
}

// finish stops the appender and returns how many lines it wrote.
func (a *appender) finish() (int, error) {
	close(a.stop)
	<-a.done
	return a.n, a.err
}

// TestFileSourceResumesAfterKill appends numbered lines to a file while a
// worker runs a file source into a topic, SIGKILLs and restarts the worker
// four times, and checks that the topic holds every line, that nothing else
// is there, and that lines go backwards only at restarts (the lines sent
// after the last persisted position are sent again). It reports duplicates.
func TestFileSourceResumesAfterKill(t *testing.T) {
	s := setup(t)
	const kills = 4
	topic := e2etest.UniqueName("e2e-filesrc")
	s.CreateTopic(t, topic, 1)
	dir := t.TempDir()
	in := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(in, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	props := s.WorkerProps(t, dir)
	props["value.converter"] = e2etest.StringConverter
	w := s.NewWorker(t, dir, props, map[string]map[string]string{"src": {
		"connector.class": "FileStreamSource",
		"tasks.max":       "1",
		"file":            in,
		"topic":           topic,
	}})
	// About 5000 lines/s while the worker runs, dies and restarts.
	app := startAppender(in, 50, 10*time.Millisecond)
	defer func() {
		select {
		case <-app.done:
		default:
			_, _ = app.finish()
		}
	}()
	offsetsFile := props["offset.storage.file.filename"]
	position := func() int64 { // the persisted byte position, -1 if none
		offs := persistedOffsets(t, offsetsFile, "src")
		if len(offs) != 1 {
			return -1
		}
		p, ok := offs[0]["position"].(float64)
		if !ok {
			t.Fatalf("persisted offset %v has no numeric position", offs[0])
		}
		return int64(p)
	}
	type restart struct {
		position int64 // persisted when the worker was killed
		nextAt   int64 // topic offset of the first record the next run sends
	}
	var restarts []restart
	rng := e2etest.NewRand(t)
	began := time.Now()
	for k := 1; k <= kills; k++ {
		w.Start()
		pos0 := position()
		// Kill once this run has persisted a position, so the next run must
		// resume from one this run wrote, at a random moment after that.
		w.WaitFor(time.Minute, fmt.Sprintf("run %d to persist a position", k), func() (bool, string) {
			p := position()
			return p > pos0, fmt.Sprintf("position %d (was %d)", p, pos0)
		})
		time.Sleep(e2etest.RandomDuration(rng, 100*time.Millisecond, 2*time.Second)) // a random moment, not a condition
		w.Kill()
		// A produce request the worker sent just before it died may still be
		// appended: the next run starts where the log end settles.
		r := restart{position: position(), nextAt: s.settledEnd(t, topic)}
		restarts = append(restarts, r)
		t.Logf("SIGKILL %d at %s: persisted position %d (line %d), topic holds %d records, file %d bytes",
			k, time.Since(began).Round(time.Millisecond), r.position, r.position/lineLen, r.nextAt, fileSize(t, in))
	}
	w.Start()
	time.Sleep(e2etest.RandomDuration(rng, 500*time.Millisecond, 2*time.Second)) // keep appending for a while
	lines, err := app.finish()
	if err != nil {
		t.Fatalf("append to %s: %v", in, err)
	}
	t.Logf("appended %d lines (%d bytes) in %s", lines, fileSize(t, in), time.Since(began).Round(time.Millisecond))

	reader := s.NewTopicReader(t, topic)
	seen := map[int]int{}
	read := 0
	w.WaitFor(2*time.Minute, "every line in the topic", func() (bool, string) {
		reader.Poll(t, 300*time.Millisecond)
		for _, r := range reader.Records[read:] {
			if n, ok := lineNumber(string(r.Value)); ok {
				seen[n]++
			}
		}
		read = len(reader.Records)
		return len(seen) >= lines, fmt.Sprintf("topic holds %d of %d distinct lines", len(seen), lines)
	})
	w.Stop(30 * time.Second)
	t.Logf("worker %s", logSummary(w))
	reader.ReadTo(t, s.EndOffsets(t, topic), time.Minute)

	// Each restart resumes exactly after the persisted position: the first
	// line the next run sends is the line that starts there.
	byOffset := map[int64]int{}
	for _, r := range reader.Records {
		n, _ := lineNumber(string(r.Value))
		byOffset[r.Offset] = n
	}
	resent := 0
	for k, r := range restarts {
		want := int(r.position/lineLen) + 1
		if got := byOffset[r.nextAt]; got != want {
			t.Errorf("restart %d: first line sent is %d (topic offset %d), want %d: the line after persisted position %d",
				k+1, got, r.nextAt, want, r.position)
		}
		if r.nextAt > 0 {
			resent += max(0, byOffset[r.nextAt-1]-want+1)
		}
	}

	var bad []string
	backwards, prev := 0, 0
	distinct := map[int]bool{}
	for _, r := range reader.Records {
		n, ok := lineNumber(string(r.Value))
		if !ok || n < 1 || n > lines {
			if len(bad) < 5 {
				bad = append(bad, fmt.Sprintf("offset %d: %q", r.Offset, r.Value))
			}
			continue
		}
		if n <= prev {
			backwards++
		}
		prev = n
		distinct[n] = true
	}
	var missing []int
	for n := 1; n <= lines; n++ {
		if !distinct[n] && len(missing) < 10 {
			missing = append(missing, n)
		}
	}
	t.Logf("topic holds %d records for %d lines: %d duplicates (records − distinct lines), %d of them resent at restarts; %d places where the line number goes back",
		len(reader.Records), lines, len(reader.Records)-len(distinct)-len(bad), resent, backwards)
	if len(bad) > 0 {
		t.Errorf("topic holds records that are not lines the test wrote: %v", bad)
	}
	if len(distinct) != lines {
		t.Errorf("topic lacks %d of %d lines, e.g. %v", lines-len(distinct), lines, missing)
	}
	// The source resends from the persisted position, so lines go back at
	// most once per restart, never in between.
	if backwards > kills {
		t.Errorf("line numbers went back %d times with %d restarts: lines were reordered", backwards, kills)
	}
}

// lineLen is the length of every line the appender writes, terminator
// included, so a byte position is a line count.
const lineLen int64 = int64(len("line-0000001\n"))

// lineNumber parses "line-0000042", with or without a line terminator.
func lineNumber(s string) (int, bool) {
	s = strings.TrimRight(s, "\r\n")
	rest, ok := strings.CutPrefix(s, "line-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}
