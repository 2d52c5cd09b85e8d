package transform

import (
	"errors"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// stub is a transformer with a scripted outcome.
type stub struct {
	err   error
	panic bool
}

func (s stub) apply(*sdk.Record) (bool, error) {
	if s.panic {
		var st *sdk.Struct
		_ = st.Values[0] // a nil dereference, as a malformed record would cause
	}
	return s.err == nil, s.err
}

func TestStepErrorClass(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    stub
		want sdk.Class
	}{
		{"unclassified cause is a record error", stub{err: errors.New("boom")}, sdk.ClassRecord},
		{"a classified cause keeps its class", stub{err: sdk.Retriable(errors.New("lookup timed out"))}, sdk.ClassRetriable},
		{"fatal stays fatal", stub{err: sdk.Fatal(errors.New("no credentials"))}, sdk.ClassFatal},
		{"a panic is a record error", stub{panic: true}, sdk.ClassRecord},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Chain{steps: []step{{alias: "s", class: "com.example.Smt", t: tc.t}}}
			keep, err := c.Apply(&sdk.Record{})
			var te *Error
			if keep || !errors.As(err, &te) || te.Alias != "s" || te.Class != "com.example.Smt" {
				t.Fatalf("Apply = %v, %v", keep, err)
			}
			if cl, _ := sdk.ClassOf(err); cl != tc.want {
				t.Errorf("class = %v, want %v", cl, tc.want)
			}
		})
	}
}

func TestSchemaCacheIsBounded(t *testing.T) {
	var c schemaCache[int]
	builds := 0
	build := func(*sdk.Schema) (int, error) { builds++; return builds, nil }
	first := &sdk.Schema{Type: sdk.TypeStruct}
	for i := range 3 * cacheSize {
		s := first
		if i > 0 {
			s = &sdk.Schema{Type: sdk.TypeStruct}
		}
		if _, err := c.get(s, build); err != nil {
			t.Fatal(err)
		}
		if n := c.len(); n > cacheSize {
			t.Fatalf("cache holds %d schemas, bound is %d", n, cacheSize)
		}
	}
	again := &sdk.Schema{Type: sdk.TypeStruct}
	v1, _ := c.get(again, build)
	v2, _ := c.get(again, build)
	if v1 != v2 || builds != 3*cacheSize+1 {
		t.Errorf("a repeated schema was rebuilt: %d, %d after %d builds", v1, v2, builds)
	}
	if _, err := c.get(&sdk.Schema{}, func(*sdk.Schema) (int, error) { return 0, errors.New("no") }); err == nil {
		t.Error("build error was swallowed")
	}
}

func TestJavaReplacement(t *testing.T) {
	re := compileTest(t, `(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(?P<last>k)`)
	for _, tc := range []struct{ in, want string }{
		{"$1", "${1}"},
		{"$11", "${11}"},
		{"$111", "${11}1"},
		{"$12", "${1}2"}, // 12 > 11 groups: group 1, then "2", as Java reads it
		{"$1x", "${1}x"},
		{"${last}", "${last}"},
		{`\$1 costs \\`, `$$1 costs \`},
		{"plain-text", "plain-text"},
	} {
		got, err := javaReplacement(tc.in, re)
		if err != nil || got != tc.want {
			t.Errorf("javaReplacement(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"$", "$x", "${nope}", "${last", `trailing\`} {
		if got, err := javaReplacement(bad, re); err == nil {
			t.Errorf("javaReplacement(%q) = %q, want an error", bad, got)
		}
	}
}
