package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// sinkBufferSize is how many bytes of lines the sink holds before it writes
// them. Large writes are what makes the sink fast; 1 MiB per task keeps the
// memory bounded.
const sinkBufferSize = 1 << 20

// sinkTask appends record values to a file as lines.
type sinkTask struct {
	cfg  SinkConfig
	name string   // file name for errors: the path or "stdout"
	out  *os.File // nil before Start and after Stop
	sync bool     // fsync on Flush: false for standard output
	buf  []byte   // whole lines not yet written
	fmt  formatter
	lin  sdk.Lineage // the connector part of every line's lineage
}

func (t *sinkTask) Start(ctx context.Context, cfg map[string]string) error {
	c, err := ParseSink(cfg)
	if err != nil {
		return sdk.Fatal(err)
	}
	t.cfg = c
	t.lin = sdk.LineageFor(cfg)
	if c.File == "" {
		t.name, t.out, t.sync = "stdout", os.Stdout, false
	} else {
		f, err := os.OpenFile(c.File, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return sdk.Fatal(fmt.Errorf("open file sink output: %w", err))
		}
		// fsync only regular files: a FIFO or device cannot be synced (EINVAL).
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return sdk.Fatal(fmt.Errorf("stat file sink output: %w", err))
		}
		t.name, t.out, t.sync = c.File, f, fi.Mode().IsRegular()
	}
	t.buf = make([]byte, 0, sinkBufferSize+64<<10)
	return nil
}

// Open stores no offsets: the runtime resumes from the consumer group.
func (t *sinkTask) Open(context.Context, []sdk.TopicPartition) (sdk.Offsets, error) {
	return nil, nil
}

// BorrowsRecords: Put formats every record into the task's own buffer.
func (t *sinkTask) BorrowsRecords() {}

// Put formats the batch into the buffer and writes it to the file, so lines
// are visible once Put returns (one write per batch; Flush adds the fsync
// that makes them durable). Every record is accepted; an I/O error fails the
// whole Put as retriable.
func (t *sinkTask) Put(ctx context.Context, batch []sdk.Record) error {
	coords := t.cfg.IncludeCoordinates
	for i := range batch {
		r := &batch[i]
		if coords {
			t.buf = append(t.buf, r.Topic...)
			t.buf = append(t.buf, '/')
			t.buf = strconv.AppendInt(t.buf, int64(r.Partition), 10)
			t.buf = append(t.buf, '/')
			t.buf = strconv.AppendInt(t.buf, r.Offset, 10)
			t.buf = append(t.buf, '\t')
		}
		if t.cfg.Lineage {
			t.buf = t.appendLineageLine(t.buf, r)
		} else {
			t.buf = t.fmt.appendText(t.buf, r.Value)
		}
		t.buf = append(t.buf, '\n')
		if len(t.buf) >= sinkBufferSize {
			if err := t.write(); err != nil {
				return sdk.Retriable(err) // *PathError names the op and file
			}
		}
	}
	if err := t.write(); err != nil {
		return sdk.Retriable(err) // *PathError names the op and file
	}
	return nil
}

// appendLineageLine appends r as {"value":…,"_lineage":{…}}: the value as
// JSON (a string, bytes or sdk.Raw as a JSON string of the line text the sink
// would otherwise write), and its lineage.
func (t *sinkTask) appendLineageLine(b []byte, r *sdk.Record) []byte {
	b = append(b, `{"value":`...)
	switch v := r.Value.(type) {
	case string:
		b = appendQuoted(b, v)
	case []byte:
		b = appendQuoted(b, string(v))
	case sdk.Raw:
		b = appendQuoted(b, string(v))
	default:
		b = t.fmt.appendJSON(b, v)
	}
	b = append(b, `,"_lineage":`...)
	b = t.lin.Of(r).AppendJSON(b)
	return append(b, '}')
}

// Flush writes the buffered lines and fsyncs the file, so that the offsets it
// returns cover only lines that are on disk.
func (t *sinkTask) Flush(ctx context.Context, offsets sdk.Offsets) (sdk.Offsets, error) {
	if t.out == nil {
		return nil, errors.New("flush file sink: task is not started")
	}
	if err := t.write(); err != nil {
		return nil, sdk.Retriable(err) // *PathError names the op and file
	}
	if t.sync {
		if err := t.out.Sync(); err != nil {
			return nil, sdk.Retriable(err) // *PathError names the op and file
		}
	}
	return offsets, nil
}

func (t *sinkTask) Close(context.Context, []sdk.TopicPartition) error { return nil }

// Stop writes what is buffered (harmless if uncommitted: delivery is at least
// once) and closes the file.
func (t *sinkTask) Stop(context.Context) error {
	if t.out == nil {
		return nil
	}
	err := t.write()
	if err != nil {
		err = fmt.Errorf("write %s: %w", t.name, err)
	}
	if t.out != os.Stdout {
		if cerr := t.out.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close %s: %w", t.name, cerr))
		}
	}
	t.out, t.buf = nil, nil
	return err
}

// write writes the buffer. On error it keeps what was not written, so that
// the next Flush writes it.
func (t *sinkTask) write() error {
	if len(t.buf) == 0 {
		return nil
	}
	if t.out == nil {
		return errors.New("task is not started")
	}
	n, err := t.out.Write(t.buf)
	if err != nil {
		t.buf = t.buf[:copy(t.buf, t.buf[n:])]
		return err
	}
	t.buf = t.buf[:0]
	return nil
}
