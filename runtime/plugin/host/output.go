package host

import (
	"bytes"
	"strings"
	"sync"

	"go.uber.org/zap"
)

// tail keeps the last lines a plugin printed, for the crash message.
type tail struct {
	mu    sync.Mutex
	lines []string
	max   int
}

const (
	tailKeep     = 64  // lines kept, so a panic's first line is usually still there
	tailLineSize = 512 // bytes kept of one line
)

func (t *tail) add(line string) {
	if len(line) > tailLineSize {
		line = line[:tailLineSize] + "…"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == tailKeep {
		copy(t.lines, t.lines[1:])
		t.lines = t.lines[:tailKeep-1]
	}
	t.lines = append(t.lines, line)
}

// last returns at most n lines: from the last panic line if there is one
// (what a Go plugin prints when it crashes), else the last n.
func (t *tail) last(n int) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	from := max(len(t.lines)-n, 0)
	for i := len(t.lines) - 1; i >= 0; i-- {
		l := t.lines[i]
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") || strings.HasPrefix(l, "Traceback (most recent call last)") {
			from = i
			break
		}
	}
	end := min(from+n, len(t.lines))
	return append([]string(nil), t.lines[from:end]...)
}

// lineLog is an io.Writer that logs each line a plugin printed, with the
// plugin's name and stream, and keeps it in the tail.
type lineLog struct {
	log  *zap.Logger
	tail *tail
	mu   sync.Mutex
	buf  []byte // a partial line
}

func newLineLog(log *zap.Logger, stream string, t *tail) *lineLog {
	return &lineLog{log: log.With(zap.String("stream", stream)), tail: t}
}

func (w *lineLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(bytes.TrimRight(w.buf[:i], "\r")))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a very long line: log what there is
		w.line(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

func (w *lineLog) line(l string) {
	if l == "" {
		return
	}
	w.tail.add(l)
	w.log.Info("plugin output", zap.String("line", l))
}
