package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunPlugin(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "someplugin")
	os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755)
	sums := filepath.Join(dir, "sums")
	os.WriteFile(sums, []byte(strings.Repeat("0", 64)+"  someplugin\n"), 0o644)
	for _, tc := range []struct {
		name        string
		args        []string
		code        int
		out, errOut string
	}{
		{"no command", nil, 2, "", "Usage:"},
		{"unknown command", []string{"frob"}, 2, "", `unknown command "frob"`},
		{"serve an unknown connector", []string{"serve", "nope"}, 2, "", `no built-in connector named "nope" (have file-sink`},
		{"serve without a name", []string{"serve"}, 2, "", "Usage: freshet plugin serve NAME"},
		{"list the built-ins", []string{"list"}, 0, "file-sink", ""},
		{"verify a binary that does not match", []string{"verify", "--checksums", sums, bin}, 1, "",
			"refusing to run plugin " + bin + ": its SHA-256 is "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runPlugin(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String(), tc.out) || !strings.Contains(stderr.String(), tc.errOut) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
		})
	}
}
