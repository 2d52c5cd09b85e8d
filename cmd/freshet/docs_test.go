package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReferenceDocsUpToDate keeps docs/connectors in step with the config
// definitions. Regenerate with: go run ./cmd/freshet docs docs/connectors
func TestReferenceDocsUpToDate(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "connectors")
	for name, want := range referenceDocs() {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v (regenerate: go run ./cmd/freshet docs docs/connectors)", name, err)
			continue
		}
		if string(got) != want {
			t.Errorf("docs/connectors/%s is out of date (regenerate: go run ./cmd/freshet docs docs/connectors)", name)
		}
	}
}
