package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
	"unicode/utf8"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Source partition and offset fields, as Kafka's FileStreamSourceTask names them.
const (
	filenameField = "filename"
	positionField = "position"
)

const (
	// sourceReadSize is the initial read buffer; it doubles for longer lines.
	sourceReadSize = 64 << 10
	// idleWait is how long Poll waits for data before it returns an empty
	// batch, so the runtime regains control (Kafka waits one second too).
	idleWait = time.Second
	// tailInterval is how often Poll looks for appended data at the end of
	// the file.
	tailInterval = 50 * time.Millisecond
)

// sourceTask tails one file and emits each line as a record.
type sourceTask struct {
	cfg       SourceConfig
	partition map[string]any
	f         *os.File // nil until the file is opened in Poll
	pos       int64    // file position of buf[r]
	buf       []byte
	r, w      int // unread bytes are buf[r:w]

	// Injected for tests.
	idle, interval time.Duration
	now            func() time.Time
}

func newSourceTask() *sourceTask {
	return &sourceTask{idle: idleWait, interval: tailInterval, now: time.Now}
}

// Start reads the persisted position; the file itself is opened by Poll, so
// that a task can start before the file exists.
func (t *sourceTask) Start(ctx context.Context, cfg map[string]string, offsets sdk.OffsetReader) error {
	c, err := ParseSource(cfg)
	if err != nil {
		return sdk.Fatal(err)
	}
	t.cfg = c
	t.partition = map[string]any{filenameField: c.File}
	t.pos = 0
	if offsets != nil {
		off, err := offsets.Offset(ctx, t.partition)
		if err != nil {
			return fmt.Errorf("read offset of %s: %w", c.File, err)
		}
		if t.pos, err = sdk.OffsetInt(off, positionField); err != nil {
			return sdk.Fatal(fmt.Errorf("read offset of %s: %w", c.File, err))
		}
	}
	t.buf = make([]byte, sourceReadSize)
	t.r, t.w = 0, 0
	return nil
}

// Poll returns up to batch.size complete lines. At the end of the file it
// waits for more data, and returns an empty batch when none came for a second.
func (t *sourceTask) Poll(ctx context.Context) ([]sdk.Record, error) {
	deadline := t.now().Add(t.idle)
	if t.f == nil {
		opened, err := t.open()
		if err != nil {
			return nil, err
		}
		if !opened {
			// Wait for the file to be created, as Kafka does.
			return nil, sleep(ctx, t.idle)
		}
	}
	var recs []sdk.Record
	for {
		for len(recs) < t.cfg.BatchSize {
			line, ok := t.nextLine()
			if !ok {
				break
			}
			recs = append(recs, t.record(line))
		}
		if len(recs) >= t.cfg.BatchSize {
			return recs, nil
		}
		n, err := t.fill()
		if err != nil {
			if len(recs) > 0 {
				// Positions already moved past these lines: hand them out; the
				// error comes back on the next read.
				return recs, nil
			}
			return nil, sdk.Retriable(fmt.Errorf("read %s: %w", t.cfg.File, err))
		}
		if n > 0 {
			continue
		}
		if len(recs) > 0 {
			return recs, nil
		}
		left := deadline.Sub(t.now())
		if left <= 0 {
			return nil, nil
		}
		if err := sleep(ctx, min(left, t.interval)); err != nil {
			return nil, err
		}
	}
}

// open opens the file and seeks to the current position. It reports false
// when the file does not exist yet.
func (t *sourceTask) open() (bool, error) {
	f, err := os.Open(t.cfg.File)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, sdk.Retriable(fmt.Errorf("open %s: %w", t.cfg.File, err))
	}
	if _, err := f.Seek(t.pos, io.SeekStart); err != nil {
		f.Close()
		return false, sdk.Retriable(fmt.Errorf("seek %s to %d: %w", t.cfg.File, t.pos, err))
	}
	t.f = f
	return true, nil
}

// fill reads more bytes into the buffer, making room first. It returns 0 and
// no error at the end of the file.
func (t *sourceTask) fill() (int, error) {
	if t.r == t.w {
		t.r, t.w = 0, 0
	} else if free := len(t.buf) - t.w; free < len(t.buf)/4 {
		t.w = copy(t.buf, t.buf[t.r:t.w])
		t.r = 0
		if t.w == len(t.buf) {
			// One line fills the buffer: grow it, as Kafka does.
			t.buf = append(t.buf, make([]byte, len(t.buf))...)
		}
	}
	n, err := t.f.Read(t.buf[t.w:])
	t.w += n
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

// nextLine returns the next complete line without its terminator ("\n",
// "\r\n" or "\r") and advances past it. A "\r" at the end of the data is not a
// line end yet: the next byte may be "\n".
func (t *sourceTask) nextLine() ([]byte, bool) {
	data := t.buf[t.r:t.w]
	nl := bytes.IndexByte(data, '\n')
	seg := data
	if nl >= 0 {
		seg = data[:nl]
	}
	end, next := nl, nl+1
	if cr := bytes.IndexByte(seg, '\r'); cr >= 0 {
		if cr+1 >= len(data) {
			return nil, false
		}
		end, next = cr, cr+1
		if data[cr+1] == '\n' {
			next++
		}
	} else if nl < 0 {
		return nil, false
	}
	t.r += next
	t.pos += int64(next)
	return data[:end], true
}

func (t *sourceTask) record(line []byte) sdk.Record {
	s := string(line)
	if !utf8.ValidString(s) {
		s = toValidUTF8(s)
	}
	return sdk.Record{
		Topic:           t.cfg.Topic,
		Timestamp:       t.now(),
		Value:           s,
		ValueSchema:     sdk.StringSchema,
		SourcePartition: t.partition,
		SourceOffset:    map[string]any{positionField: t.pos},
	}
}

// toValidUTF8 replaces each invalid byte with U+FFFD, as Java's UTF-8
// decoder does for malformed input.
func toValidUTF8(s string) string {
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// Commit has nothing to release: the file is only read.
func (t *sourceTask) Commit(context.Context, []sdk.Position) error { return nil }

func (t *sourceTask) Stop(context.Context) error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	if err != nil {
		return fmt.Errorf("close %s: %w", t.cfg.File, err)
	}
	return nil
}

// sleep waits for d or until ctx is done, and returns ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
