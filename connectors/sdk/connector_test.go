package sdk

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestOffsetInt(t *testing.T) {
	for _, c := range []struct {
		v    any
		want int64
		err  string
	}{
		{nil, 0, ""},
		{int64(7), 7, ""},
		{42, 42, ""},
		{int32(3), 3, ""},
		{uint64(9), 9, ""},
		{float64(1 << 40), 1 << 40, ""},
		{json.Number("123"), 123, ""},
		{1.5, 0, "1.5 is not an integer"},
		{json.Number("1e3"), 0, `"1e3" is not an integer`},
		{uint64(1 << 63), 0, "out of range"},
		{-1, 0, "-1 is negative"},
		{"12", 0, "has type string, want an integer"},
	} {
		got, err := OffsetInt(map[string]any{"pos": c.v}, "pos")
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("OffsetInt(%#v) = %d, %v; want %d", c.v, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "pos")):
			t.Errorf("OffsetInt(%#v) error = %v; want one naming the field and saying %q", c.v, err, c.err)
		}
	}
	if got, err := OffsetInt(nil, "pos"); got != 0 || err != nil {
		t.Errorf("OffsetInt of no offset = %d, %v", got, err)
	}
}
