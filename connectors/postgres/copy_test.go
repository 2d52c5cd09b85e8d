package postgres

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestAppendCopyValue(t *testing.T) {
	ts := time.Date(2000, 1, 2, 0, 0, 1, 500000, time.UTC) // 1 day, 1.0005 s after PostgreSQL's epoch
	tests := []struct {
		v    any
		k    kind
		want string // hex
	}{
		{true, kindBool, "01"},
		{int16(-2), kindInt2, "fffe"},
		{int32(7), kindInt4, "00000007"},
		{int64(1) << 40, kindInt8, "0000010000000000"},
		{float32(1.5), kindFloat4, "3fc00000"},
		{math.Inf(-1), kindFloat8, "fff0000000000000"},
		{"hé", kindText, "68c3a9"},
		{`{"a":1}`, kindJSONB, "01" + hex.EncodeToString([]byte(`{"a":1}`))},
		{`{"a":1}`, kindJSON, hex.EncodeToString([]byte(`{"a":1}`))},
		{[]byte{0xde, 0xad}, kindBytea, "dead"},
		{ts, kindTimestamptz, "000000141de6a434"}, // 86401000500 µs
		{pgtype.Date{Time: time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC), Valid: true}, kindDate, "00000002"},
		{pgtype.Date{Time: time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), Valid: true}, kindDate, "ffffffff"},
		{pgtype.Time{Microseconds: 1_000_001, Valid: true}, kindTime, "00000000000f4241"},
		{pgtype.UUID{Bytes: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, Valid: true}, kindUUID, "0102030405060708090a0b0c0d0e0f10"},
		// numeric 123.45: 2 digit groups (1, 2345), weight 0, positive, dscale 2
		{pgtype.Numeric{Int: big.NewInt(12345), Exp: -2, Valid: true}, kindNumeric, "00030000000000020001091d1194"},
	}
	for _, tt := range tests {
		got, err := appendCopyValue(nil, tt.v, tt.k)
		if err != nil {
			t.Errorf("%#v: %v", tt.v, err)
			continue
		}
		if tt.k == kindNumeric {
			// The exact digit grouping is pgx's; check it decodes back.
			var n pgtype.Numeric
			if err := (pgtype.NumericCodec{}).PlanScan(nil, pgtype.NumericOID, pgtype.BinaryFormatCode, &n).Scan(got, &n); err != nil ||
				n.Int.Cmp(big.NewInt(12345)) != 0 && !(n.Int.Cmp(big.NewInt(1234500)) == 0 && n.Exp == -4) {
				t.Errorf("numeric: %x decodes to %+v (%v)", got, n, err)
			}
			continue
		}
		if hex.EncodeToString(got) != tt.want {
			t.Errorf("%#v: %x, want %s", tt.v, got, tt.want)
		}
	}
}

func TestCopyReader(t *testing.T) {
	s := &segment{cols: []*colMeta{{name: "id", kind: kindInt8}, {name: "v", kind: kindText}}}
	sh := &shape{cols: []column{{name: "id", pk: true}, {name: "v"}}, npk: 1}
	var rows []*stagedRow
	want := bytes.NewBuffer(append([]byte("PGCOPY\n\xff\r\n\x00"), make([]byte, 8)...))
	for i := range 5000 { // several chunks
		r := &stagedRow{n: int32(i), del: i%2 == 1, row: &row{shape: sh, vals: []any{int64(i), "x"}}}
		if r.del {
			r.row.op, r.row.vals = opDelete, []any{int64(i)}
		}
		rows = append(rows, r)
		b := binary.BigEndian.AppendUint16(nil, 4)
		b = append(b, 0, 0, 0, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(i))
		b = append(b, 0, 0, 0, 1, byte(i%2))
		b = append(b, 0, 0, 0, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(i))
		if r.del {
			b = append(b, 0xff, 0xff, 0xff, 0xff)
		} else {
			b = append(b, 0, 0, 0, 1, 'x')
		}
		want.Write(b)
	}
	want.Write([]byte{0xff, 0xff})
	got, err := io.ReadAll(&copyReader{src: s.copyRows(rows, true)})
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("read %d bytes (%v), want %d", len(got), err, want.Len())
	}
	rows[4000].row.vals[0] = "not a number"
	_, err = io.ReadAll(&copyReader{src: s.copyRows(rows, true)})
	if err == nil || !strings.Contains(err.Error(), `column "id"`) {
		t.Errorf("err = %v, want the conversion error", err)
	}
}
