package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestOffsetKey(t *testing.T) {
	for _, tc := range []struct {
		name      string
		connector string
		partition map[string]any
		want      string
	}{
		{"kafka connect example", "file-source", map[string]any{"filename": "/tmp/test.txt"}, `["file-source",{"filename":"/tmp/test.txt"}]`},
		{"keys sorted", "c", map[string]any{"table": "t", "db": "d", "A": 1}, `["c",{"A":1,"db":"d","table":"t"}]`},
		{"empty partition", "c", map[string]any{}, `["c",{}]`},
		{"no html escaping", "a<b>&c", map[string]any{"q": "<&>"}, `["a<b>&c",{"q":"<&>"}]`},
		{"quotes and unicode", `say "hi"`, map[string]any{"ü": "名前\n"}, `["say \"hi\"",{"ü":"名前\n"}]`},
		{"numbers of any type", "c", map[string]any{"i": int8(1), "f": float64(2), "n": json.Number("3.0"), "x": 1.25}, `["c",{"f":2,"i":1,"n":3,"x":1.25}]`},
		{"null and bool", "c", map[string]any{"n": nil, "b": false}, `["c",{"b":false,"n":null}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OffsetKey(tc.connector, tc.partition)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("OffsetKey = %s; want %s", got, tc.want)
			}
		})
	}
}

func TestOffsetKeyInvalid(t *testing.T) {
	for _, tc := range []struct {
		name      string
		partition map[string]any
	}{
		{"nil", nil},
		{"nested map", map[string]any{"m": map[string]any{}}},
		{"slice", map[string]any{"s": []string{"a"}}},
		{"infinity", map[string]any{"f": math.Inf(1)}},
		{"bad json number", map[string]any{"n": json.Number("1x")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := OffsetKey("c", tc.partition); !errors.Is(err, ErrInvalid) {
				t.Fatalf("OffsetKey = %v; want ErrInvalid", err)
			}
		})
	}
}

func TestDecodeFlatNumbers(t *testing.T) {
	m, err := decodeFlat([]byte(`{"i":30,"neg":-7,"f":1.5,"whole":2.0,"exp":1e3,"big":18446744073709551615}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"i": int64(30), "neg": int64(-7), "f": 1.5, "whole": 2.0, "exp": 1000.0, "big": 18446744073709551615.0}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v; want %#v", k, m[k], v)
		}
	}
}

// encodeFlat must write exactly what encoding/json writes, so that keys stay
// canonical whoever encodes them (the Kafka store, tools).
func TestEncodeFlatMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", `quote " backslash \ slash /`, "<&>", "tab\t nl\n cr\r nul\x00 del\x7f",
		"ünïcödé 名前 😀", "line\u2028sep\u2029", "bad utf8 \xff\xfe", []byte{}, []byte{0, 1, 2, 255},
		0, -1, int8(-128), int16(32767), int32(-1 << 31), int64(math.MaxInt64), int64(math.MinInt64),
		uint(7), uint8(255), uint16(65535), uint32(1 << 31), uint64(math.MaxUint64),
		0.0, math.Copysign(0, -1), 1.5, -2.25, 1e20, 1e21, 123456789e15, 1e-6, 1e-7, 5e-324, math.MaxFloat64, 0.1, 1.0 / 3,
		float32(0.1), float32(1e21), float32(1e-7), float32(16777216), float32(-3.5),
	}
	for i, v := range values {
		m := map[string]any{"k": v, "a" + fmt.Sprint(i): 1, "\u00e9": "x", "z\"": nil}
		got, err := encodeFlat(m)
		if err != nil {
			t.Fatalf("encodeFlat(%#v): %v", v, err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		if string(got)+"\n" != want.String() {
			t.Errorf("encodeFlat(%#v) = %s; encoding/json writes %s", v, got, want.String())
		}
	}
}
