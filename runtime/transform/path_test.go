package transform

import (
	"reflect"
	"regexp"
	"testing"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "a", want: []string{"a"}},
		{in: "a.b.c", want: []string{"a", "b", "c"}},
		{in: "a.", want: []string{"a", ""}},
		{in: "", want: []string{""}},
		{in: "`a.b`.c", want: []string{"a.b", "c"}},
		{in: "c.`a.b`", want: []string{"c", "a.b"}},
		{in: "`a`b`.c", want: []string{"a`b", "c"}},
		{in: "`a\\`.b`.c", want: []string{"a`.b", "c"}},
		{in: "`a.b", err: true},
		{in: "`a.b\\`", err: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parsePath(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if !tc.err && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("steps = %q, want %q", got, tc.want)
			}
		})
	}
}

func compileTest(t *testing.T, expr string) *regexp.Regexp {
	t.Helper()
	re, err := regexp.Compile(expr)
	if err != nil {
		t.Fatal(err)
	}
	return re
}
