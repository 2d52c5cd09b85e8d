package sdk_test

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

func TestAppendJSON(t *testing.T) {
	s := sdk.NewStruct("x").Field("b", sdk.Int32Schema).Field("a", sdk.OptionalStringSchema).Build()
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"null", nil, `null`},
		{"ints", []any{int8(-1), int16(2), int32(3), int64(-4), uint64(math.MaxUint64)}, `[-1,2,3,-4,18446744073709551615]`},
		{"floats", []any{1.5, float32(0.25), math.NaN(), math.Inf(-1)}, `[1.5,0.25,"NaN","-Infinity"]`},
		{"string escapes and bad utf-8", "a\"b\\\n\x01\xff", `"a\"b\\\n\u0001\ufffd"`},
		{"bytes", []byte{0, 1, 2}, `"AAEC"`},
		{"decimal", sdk.Decimal{Unscaled: big.NewInt(-1250), Scale: 2}, `-12.50`},
		{"time in UTC", time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600)), `"2026-01-02T02:04:05.006Z"`},
		{"struct in field order", sdk.NewStructValue(s).Put("b", int32(1)).Put("a", "z"), `{"b":1,"a":"z"}`},
		{"map sorted", map[string]any{"z": true, "a": nil}, `{"a":null,"z":true}`},
		{"nested", map[string]any{"b": []any{int64(1), 2.5, nil}, "a": "x\ny"}, `{"a":"x\ny","b":[1,2.5,null]}`},
		{"map with non-string keys", map[any]any{int32(2): "two", int32(10): "ten"}, `{"10":"ten","2":"two"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sdk.AppendJSON(nil, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("AppendJSON(%#v) = %s, want %s", tc.v, got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("%s is not valid JSON", got)
			}
		})
	}
	if _, err := sdk.AppendJSON(nil, struct{}{}); err == nil {
		t.Error("a Go struct was encoded; want an error naming the type")
	}
}
