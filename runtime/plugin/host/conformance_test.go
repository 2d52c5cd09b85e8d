package host_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/freshet-dev/freshet/connectors/datagen"
	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/connectors/sdk/conformance"
	"github.com/freshet-dev/freshet/runtime/plugin/host"
)

func newHost(t testing.TB, opts ...host.Option) *host.Host {
	t.Helper()
	h, err := host.New(zaptest.NewLogger(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// variants returns the plugin in process, and isolated as the worker runs
// it with plugin.isolation=process.
func variants(t *testing.T, p sdk.Plugin) map[string]sdk.Plugin {
	return map[string]sdk.Plugin{
		"in-process": p,
		"isolated":   newHost(t).Isolate(p, self(t, p.Name)),
	}
}

// readLines returns the lines of a file, or none if it does not exist.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func fileSinkSuite(p sdk.Plugin) conformance.Sink {
	return conformance.Sink{
		Plugin: p,
		Config: func(t *testing.T) map[string]string {
			return map[string]string{"file": filepath.Join(t.TempDir(), "out.txt"), "freshet.file.include.coordinates": "true"}
		},
		Read: func(t *testing.T, cfg map[string]string) []string {
			var ids []string
			for _, l := range readLines(t, cfg["file"]) {
				id, _, _ := strings.Cut(l, "\t")
				ids = append(ids, id)
			}
			return ids
		},
		Invalid: []conformance.Invalid{{Name: "coordinates not a boolean", Set: map[string]string{"freshet.file.include.coordinates": "maybe"}, Key: "freshet.file.include.coordinates"}},
	}
}

func TestConformanceFileSink(t *testing.T) {
	for name, p := range variants(t, file.SinkPlugin()) {
		t.Run(name, fileSinkSuite(p).Run)
	}
}

func TestConformanceFileSource(t *testing.T) {
	for name, p := range variants(t, file.SourcePlugin()) {
		t.Run(name, conformance.Source{
			Plugin: p,
			Config: func(t *testing.T) map[string]string {
				return map[string]string{"file": filepath.Join(t.TempDir(), "in.txt"), "topic": "lines"}
			},
			Append: func(t *testing.T, cfg map[string]string, n int) {
				f, err := os.OpenFile(cfg["file"], os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				for i := 0; i < n; i++ {
					fmt.Fprintf(f, "line %d\n", i)
				}
			},
			Invalid:     []conformance.Invalid{{Name: "batch size zero", Set: map[string]string{"batch.size": "0"}, Key: "batch.size"}},
			ExactlyOnce: true,
		}.Run)
	}
}

func TestConformanceDatagen(t *testing.T) {
	for name, p := range variants(t, datagen.Plugin()) {
		t.Run(name, conformance.Source{
			Plugin: p,
			Config: func(t *testing.T) map[string]string {
				return map[string]string{"topic": "events", "customers": "10"}
			},
			Invalid:     []conformance.Invalid{{Name: "negative rate", Set: map[string]string{"rate.per.sec": "-1"}, Key: "rate.per.sec"}},
			ExactlyOnce: true,
		}.Run)
	}
}

// TestValidationCrossesTheBoundary checks that an isolated plugin reports
// the same problems as the in-process one, the way the herder gathers them
// (the config definition, then the connector's Validator): validators are
// functions that cannot be described, so the plugin runs them.
func TestValidationCrossesTheBoundary(t *testing.T) {
	ctx := context.Background()
	cfg := map[string]string{"needed": "forbidden", "level": "9", "tags": "x,y"}
	want := map[string]int{"needed": 1, "level": 1}
	for name, p := range variants(t, faultSink()) {
		t.Run(name, func(t *testing.T) {
			got := map[string][]string{}
			for _, cv := range p.Config.Validate(cfg) {
				got[cv.Key.Name] = append(got[cv.Key.Name], cv.Errors...)
			}
			for k, msgs := range p.New().(sdk.Validator).Validate(ctx, cfg) {
				got[k] = append(got[k], msgs...)
			}
			for k, n := range want {
				if len(got[k]) != n {
					t.Errorf("%s: %d problems %q, want %d", k, len(got[k]), got[k], n)
				}
			}
			if len(got["tags"]) != 0 {
				t.Errorf("tags: unexpected problems %q", got["tags"])
			}
			if got["level"][0] != "Invalid value 9 for configuration level: Value must be between 1 and 3" {
				t.Errorf("level: %q", got["level"][0])
			}
		})
	}
}
