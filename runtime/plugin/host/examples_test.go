package host_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk/conformance"
	"github.com/freshet-dev/freshet/runtime/plugin/host"
)

// example builds an example plugin with examples/plugins/build.sh and
// returns its executable. The Python example needs python3; without it the
// test is skipped, saying so.
func example(t *testing.T, lang string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(here), "..", "..", "..", "examples", "plugins", "build.sh")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(script, lang)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
			t.Skipf("%s example: %s", lang, strings.TrimSpace(stderr.String()))
		}
		t.Fatalf("build the %s example: %v\n%s", lang, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// TestExamples runs the conformance suite on the example plugins, each as
// the worker runs it: found as an executable, in its own process.
func TestExamples(t *testing.T) {
	for _, tc := range []struct{ lang, name string }{
		{"go", "example-go-sink"},
		{"python", "example-python-sink"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			bin := example(t, tc.lang)
			ps, err := newHost(t).Load(t.Context(), host.Command{Path: bin})
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 || ps[0].Name != tc.name {
				t.Fatalf("the %s example describes %v, want %s", tc.lang, ps, tc.name)
			}
			conformance.Sink{
				Plugin: ps[0],
				Config: func(t *testing.T) map[string]string {
					return map[string]string{"file": filepath.Join(t.TempDir(), "out.txt")}
				},
				Read: func(t *testing.T, cfg map[string]string) []string {
					var ids []string
					for _, l := range readLines(t, cfg["file"]) {
						id, _, _ := strings.Cut(l, "\t")
						ids = append(ids, id)
					}
					return ids
				},
			}.Run(t)
		})
	}
}
