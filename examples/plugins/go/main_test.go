package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk/conformance"
)

// TestConformance runs the connector suite in process. Freshet's own tests
// run it again against the built executable, in its own process
// (runtime/plugin/host: examples_test.go).
func TestConformance(t *testing.T) {
	conformance.Sink{
		Plugin: Plugin(),
		Config: func(t *testing.T) map[string]string {
			return map[string]string{"file": filepath.Join(t.TempDir(), "out.txt")}
		},
		Read: func(t *testing.T, cfg map[string]string) []string {
			f, err := os.Open(cfg["file"])
			if err != nil {
				return nil
			}
			defer f.Close()
			var ids []string
			for sc := bufio.NewScanner(f); sc.Scan(); {
				id, _, _ := strings.Cut(sc.Text(), "\t")
				ids = append(ids, id)
			}
			return ids
		},
		Invalid: []conformance.Invalid{{Name: "empty file", Set: map[string]string{"file": ""}, Key: "file"}},
	}.Run(t)
}
