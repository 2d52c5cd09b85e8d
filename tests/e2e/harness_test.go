package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// services is what a test needs from its environment: the binary under test,
// Kafka's PLAINTEXT listener, and its SASL_SSL listener (SCRAM over TLS).
type services struct {
	*e2etest.Env

	saslBootstrap string
	saslMechanism string
	saslUser      string
	saslPassword  string
	caFile        string
}

// setup skips the test unless FRESHET_E2E=1; then it fails the test when the
// binary, a variable or Kafka is missing.
func setup(t *testing.T) *services {
	t.Helper()
	s := &services{
		Env:           e2etest.Setup(t),
		saslBootstrap: e2etest.Getenv(t, "FRESHET_KAFKA_SASL_BOOTSTRAP"),
		saslMechanism: e2etest.Getenv(t, "FRESHET_KAFKA_SASL_MECHANISM"),
		saslUser:      e2etest.Getenv(t, "FRESHET_KAFKA_SASL_USER"),
		saslPassword:  e2etest.Getenv(t, "FRESHET_KAFKA_SASL_PASSWORD"),
		caFile:        e2etest.Getenv(t, "FRESHET_KAFKA_CA_FILE"),
	}
	if _, err := os.Stat(s.caFile); err != nil {
		t.Fatalf("FRESHET_KAFKA_CA_FILE: %v", err)
	}
	return s
}

// settledEnd returns the total of topic's end offsets once it has not
// changed for half a second.
func (s *services) settledEnd(t *testing.T, topic string) int64 {
	t.Helper()
	last, since := e2etest.Sum(s.EndOffsets(t, topic)), time.Now()
	e2etest.WaitFor(t, 30*time.Second, "the end offsets of "+topic+" to settle", func() (bool, string) {
		if cur := e2etest.Sum(s.EndOffsets(t, topic)); cur != last {
			last, since = cur, time.Now()
		}
		return time.Since(since) >= 500*time.Millisecond, fmt.Sprintf("end %d", last)
	})
	return last
}

// procStatus reads a field of /proc/PID/status in kB (VmRSS, VmHWM).
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) != 2 || fs[1] != "kB" {
			return 0, fmt.Errorf("/proc/%d/status: odd %s line %q", pid, field, sc.Text())
		}
		return strconv.ParseInt(fs[0], 10, 64)
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, field)
}

// procIO reads a counter of /proc/PID/io (rchar: bytes read by read-like
// system calls, sockets included).
func procIO(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, v, ok := strings.Cut(line, ": "); ok && name == field {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/io: no %s", pid, field)
}

const mib = 1 << 20

// coord is one line of a file sink run with
// freshet.file.include.coordinates=true: "topic/partition/offset<TAB>value".
type coord struct {
	Partition int32
	Offset    int64
	Pos       int64  // byte position of the line's coordinates in the output
	Value     []byte // the rest of the line
}

// coordParser parses a file sink's output as it grows. A worker killed in
// the middle of a write can leave a partial last line, to which the next run
// appends: then a line holds a truncated record followed by a whole one. The
// parser finds every "topic/P/O<TAB>" in a line, so such a glued line still
// yields the whole record (the truncated one was not committed and comes
// again), and counts it in glued.
type coordParser struct {
	prefix  []byte // topic + "/"
	values  bool   // keep each line's value in its coord
	pos     int64  // output position of rest[0]
	rest    []byte // bytes after the last newline
	entries []coord
	glued   int // coordinates found after the start of a line
	junk    int // lines without any coordinates
}

// newCoordParser parses lines of topic; values says whether to keep each
// line's value (the memory test does not, its output is large).
func newCoordParser(topic string, values bool) *coordParser {
	return &coordParser{prefix: []byte(topic + "/"), values: values}
}

// feed parses the whole lines in data (following what was fed before).
func (p *coordParser) feed(data []byte) {
	buf := append(p.rest, data...)
	start := 0
	for {
		i := bytes.IndexByte(buf[start:], '\n')
		if i < 0 {
			break
		}
		p.line(buf[start:start+i], p.pos+int64(start))
		start += i + 1
	}
	p.rest = append([]byte(nil), buf[start:]...)
	p.pos += int64(start)
}

func (p *coordParser) line(line []byte, pos int64) {
	type hit struct {
		c           coord
		at, valueAt int
	}
	var hits []hit
	for i := 0; i < len(line); {
		j := bytes.Index(line[i:], p.prefix)
		if j < 0 {
			break
		}
		at := i + j
		c, n, ok := parseCoord(line[at+len(p.prefix):])
		if !ok {
			i = at + 1
			continue
		}
		hits = append(hits, hit{c, at, at + len(p.prefix) + n})
		i = at + len(p.prefix) + n
	}
	if len(hits) == 0 {
		p.junk++
	}
	for k, h := range hits {
		c := h.c
		c.Pos = pos + int64(h.at)
		if p.values {
			valueEnd := len(line)
			if k+1 < len(hits) {
				valueEnd = hits[k+1].at
			}
			c.Value = append([]byte(nil), line[h.valueAt:valueEnd]...)
		}
		p.entries = append(p.entries, c)
		if h.at > 0 {
			p.glued++
		}
	}
}

// parseCoord parses "P/O\t" and returns how many bytes it took.
func parseCoord(b []byte) (coord, int, bool) {
	part, n1 := digits(b)
	if n1 == 0 || n1 >= len(b) || b[n1] != '/' {
		return coord{}, 0, false
	}
	off, n2 := digits(b[n1+1:])
	end := n1 + 1 + n2
	if n2 == 0 || end >= len(b) || b[end] != '\t' {
		return coord{}, 0, false
	}
	return coord{Partition: int32(part), Offset: off}, end + 1, true
}

func digits(b []byte) (int64, int) {
	var v int64
	n := 0
	for n < len(b) && n < 18 && b[n] >= '0' && b[n] <= '9' {
		v = v*10 + int64(b[n]-'0')
		n++
	}
	return v, n
}

// fileTail feeds a growing file to a coordParser.
type fileTail struct {
	path string
	off  int64
	*coordParser
}

func newFileTail(path, topic string) *fileTail {
	return &fileTail{path: path, coordParser: newCoordParser(topic, true)}
}

// update parses what was appended since the last call.
func (f *fileTail) update(t *testing.T) {
	t.Helper()
	fh, err := os.Open(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.NewSectionReader(fh, f.off, 1<<40))
	if err != nil {
		t.Fatal(err)
	}
	f.off += int64(len(data))
	f.feed(data)
}

// fileSize returns the size of path, 0 if it does not exist.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// delivery summarizes sink output against a topic's end offsets.
type delivery struct {
	lines    int                       // coordinates found
	seen     map[int32]map[int64]int   // how often each offset was written
	missing  map[int32][]int64         // offsets below the end never written (first few)
	nMissing int64                     // how many such offsets
	beyond   int                       // offsets at or past the end offset
	disorder []string                  // per-partition order violations within one run
	last     map[int32]map[int64]coord // last line seen per offset
}

// analyze checks entries against end. boundaries are output positions at
// which one worker run ended and the next began (sizes at each SIGKILL):
// within a run a partition's offsets must strictly increase.
func analyze(entries []coord, end map[int32]int64, boundaries []int64) delivery {
	d := delivery{seen: map[int32]map[int64]int{}, missing: map[int32][]int64{}, last: map[int32]map[int64]coord{}}
	prev := map[[2]int64]int64{} // (run, partition) → last offset
	for _, c := range entries {
		d.lines++
		if d.seen[c.Partition] == nil {
			d.seen[c.Partition] = map[int64]int{}
			d.last[c.Partition] = map[int64]coord{}
		}
		d.seen[c.Partition][c.Offset]++
		d.last[c.Partition][c.Offset] = c
		if e, ok := end[c.Partition]; !ok || c.Offset >= e {
			d.beyond++
		}
		run, _ := slices.BinarySearch(boundaries, c.Pos+1) // boundaries <= Pos
		k := [2]int64{int64(run), int64(c.Partition)}
		if p, ok := prev[k]; ok && c.Offset <= p && len(d.disorder) < 10 {
			d.disorder = append(d.disorder, fmt.Sprintf("run %d partition %d: offset %d after %d (output byte %d)", run+1, c.Partition, c.Offset, p, c.Pos))
		}
		prev[k] = c.Offset
	}
	for p, e := range end {
		for o := int64(0); o < e; o++ {
			if d.seen[p][o] == 0 {
				d.nMissing++
				if len(d.missing[p]) < 10 {
					d.missing[p] = append(d.missing[p], o)
				}
			}
		}
	}
	return d
}

func (d delivery) distinct() int {
	n := 0
	for _, m := range d.seen {
		n += len(m)
	}
	return n
}

// covers reports whether every offset below end was written at least once.
func covers(entries *coordParser, end map[int32]int64) (bool, string) {
	got := map[int32]map[int64]bool{}
	for _, c := range entries.entries {
		if got[c.Partition] == nil {
			got[c.Partition] = map[int64]bool{}
		}
		got[c.Partition][c.Offset] = true
	}
	var short []string
	for p, e := range end {
		n := int64(0)
		for o := int64(0); o < e; o++ {
			if got[p][o] {
				n++
			}
		}
		if n < e {
			short = append(short, fmt.Sprintf("partition %d: %d of %d offsets", p, n, e))
		}
	}
	slices.Sort(short)
	return len(short) == 0, strings.Join(short, "; ")
}

// persistedOffsets reads the source offsets a standalone worker persisted
// for connector (offset.storage.file.filename, written atomically). It
// returns nil when the file or the connector's entry does not exist yet.
func persistedOffsets(t *testing.T, path, connector string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Offsets map[string][]struct {
			Partition map[string]any `json:"partition"`
			Offset    map[string]any `json:"offset"`
		} `json:"offsets"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("offsets file %s: %v", path, err)
	}
	var out []map[string]any
	for _, e := range f.Offsets[connector] {
		out = append(out, e.Offset)
	}
	return out
}

// logSummary counts the worker's log lines by level and returns the first
// few warning and error messages, for the test's report.
func logSummary(w *e2etest.Worker) string {
	counts := map[string]int{}
	var samples []string
	for _, line := range strings.Split(w.Log(), "\n") {
		var l struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Error string `json:"error"`
			Err   string `json:"err"`
		}
		if json.Unmarshal([]byte(line), &l) != nil || l.Level == "" {
			continue
		}
		counts[l.Level]++
		if (l.Level == "warn" || l.Level == "error") && len(samples) < 5 {
			samples = append(samples, fmt.Sprintf("%s %q %.200s%.200s", l.Level, l.Msg, l.Error, l.Err))
		}
	}
	return fmt.Sprintf("log lines by level %v; first warnings/errors: %v", counts, samples)
}
