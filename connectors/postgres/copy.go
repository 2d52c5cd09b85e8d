package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// copyIn runs COPY … FROM STDIN (binary format) on the connection, with
// the rows' values encoded as they are sent, and returns the error of the
// COPY. The reader runs in pgconn's sending goroutine, so that encoding
// overlaps the server's work on the rows sent before.
func (t *sinkTask) copyIn(ctx context.Context, table string, cols []string, src *rowSource) error {
	var b strings.Builder
	b.WriteString("COPY ")
	b.WriteString(table)
	b.WriteString(" (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c))
	}
	b.WriteString(") FROM STDIN (FORMAT binary)")
	_, err := t.conn.PgConn().CopyFrom(ctx, &copyReader{src: src}, b.String())
	return err
}

// copyReader encodes rows in COPY's binary format, about 64 KiB at a time.
type copyReader struct {
	src     *rowSource
	buf     []byte
	pos     int
	started bool
	done    bool
}

const copyChunk = 64 << 10

// copySignature starts a binary COPY stream: the signature, no flags, no
// header extension.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func (c *copyReader) Read(p []byte) (int, error) {
	if c.pos == len(c.buf) {
		if c.done {
			return 0, io.EOF
		}
		if c.buf == nil {
			c.buf = make([]byte, 0, copyChunk+4096)
		}
		c.buf, c.pos = c.buf[:0], 0
		if !c.started {
			c.buf = append(c.buf, copySignature...)
			c.started = true
		}
		for len(c.buf) < copyChunk {
			if !c.src.Next() {
				c.buf = binary.BigEndian.AppendUint16(c.buf, 0xffff) // trailer: -1
				c.done = true
				break
			}
			vals, err := c.src.Values()
			if err != nil {
				return 0, err
			}
			if c.buf, err = appendCopyRow(c.buf, vals, c.src.kinds); err != nil {
				c.src.coerceErr = err
				return 0, err
			}
		}
	}
	n := copy(p, c.buf[c.pos:])
	c.pos += n
	return n, nil
}

// appendCopyRow appends one tuple: the field count, then each field's
// length (-1 for NULL) and bytes.
func appendCopyRow(b []byte, vals []any, kinds []kind) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(len(vals)))
	for i, v := range vals {
		if v == nil {
			b = binary.BigEndian.AppendUint32(b, 0xffffffff)
			continue
		}
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		var err error
		if b, err = appendCopyValue(b, v, kinds[i]); err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	return b, nil
}

// pgEpoch is PostgreSQL's epoch for dates and timestamps.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// appendCopyValue appends the binary form of a non-null value converted by
// coerce, for a column of kind k (a staging column's type, or the table's
// when COPY goes straight to it).
func appendCopyValue(b []byte, v any, k kind) ([]byte, error) {
	switch v := v.(type) {
	case bool:
		if v {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case int16:
		return binary.BigEndian.AppendUint16(b, uint16(v)), nil
	case int32:
		return binary.BigEndian.AppendUint32(b, uint32(v)), nil
	case int64:
		if k == kindNumeric {
			return appendNumeric(b, pgtype.Numeric{Int: big.NewInt(v), Valid: true})
		}
		return binary.BigEndian.AppendUint64(b, uint64(v)), nil
	case float32:
		return binary.BigEndian.AppendUint32(b, math.Float32bits(v)), nil
	case float64:
		if k == kindNumeric {
			return appendNumeric(b, pgtype.Float8{Float64: v, Valid: true})
		}
		return binary.BigEndian.AppendUint64(b, math.Float64bits(v)), nil
	case string:
		if k == kindJSONB {
			b = append(b, 1) // jsonb version
		}
		return append(b, v...), nil
	case []byte:
		if k == kindJSONB {
			b = append(b, 1)
		}
		return append(b, v...), nil
	case time.Time:
		return binary.BigEndian.AppendUint64(b, uint64(micros(v))), nil
	case pgtype.Date:
		days := micros(v.Time) / 86_400_000_000
		if micros(v.Time)%86_400_000_000 < 0 {
			days-- // floor, for dates before 2000
		}
		return binary.BigEndian.AppendUint32(b, uint32(int32(days))), nil
	case pgtype.Time:
		return binary.BigEndian.AppendUint64(b, uint64(v.Microseconds)), nil
	case pgtype.UUID:
		return append(b, v.Bytes[:]...), nil
	case pgtype.Numeric:
		return appendNumeric(b, v)
	}
	return nil, fmt.Errorf("cannot send a %T to PostgreSQL", v)
}

// micros is the number of microseconds from PostgreSQL's epoch to t.
func micros(t time.Time) int64 {
	sec := t.Unix() - pgEpoch.Unix()
	return sec*1_000_000 + int64(t.Nanosecond()/1000)
}

// appendNumeric encodes numeric's binary form with pgx's codec.
func appendNumeric(b []byte, v any) ([]byte, error) {
	plan := pgtype.NumericCodec{}.PlanEncode(nil, pgtype.NumericOID, pgtype.BinaryFormatCode, v)
	if plan == nil {
		return nil, fmt.Errorf("cannot encode a %T as numeric", v)
	}
	return plan.Encode(v, b)
}
