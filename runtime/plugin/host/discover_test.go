package host_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/plugin/host"
)

// script writes an executable shell script in dir that runs this test
// binary as the named test plugin, and returns its path and SHA-256.
func script(t *testing.T, dir, file, plugin string) (string, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("#!/bin/sh\n%s=%s exec '%s' \"$@\"\n", servePluginEnv, plugin, exe)
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	return path, hex.EncodeToString(sum[:])
}

// TestRescan finds the plugins in plugin.path, refuses those whose checksum
// does not match or that are not listed, and those that speak another
// protocol version, each with a message naming what is wrong, and keeps
// the rest.
func TestRescan(t *testing.T) {
	ctx := context.Background()
	dir, other := t.TempDir(), t.TempDir()
	_, goodSum := script(t, dir, "sinks", "file-sink")
	_, faultSum := script(t, other, "faults", "fault-sink")
	tampered, tamperedSum := script(t, dir, "tampered", "file-source")
	unlisted, unlistedSum := script(t, dir, "unlisted", "datagen")
	newer, newerSum := script(t, dir, "newer", "version-99")
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a plugin"), 0o644)
	script(t, dir, ".hidden", "datagen")
	wrong := strings.Repeat("ab", 32)
	sums := filepath.Join(t.TempDir(), "plugins.sha256")
	os.WriteFile(sums, []byte(fmt.Sprintf("# plugins we trust\n%s  sinks\n%s  /opt/elsewhere/faults\n%s  tampered\n%s *newer\n", goodSum, faultSum, wrong, newerSum)), 0o644)

	h := newHost(t, host.WithPath(dir, other), host.WithChecksums(sums))
	found, err := h.Rescan(ctx)
	var names []string
	for _, p := range found {
		names = append(names, p.Name+"@"+p.Version)
	}
	if got := strings.Join(names, ","); got != "fault-sink@2.1,file-sink@0.1.0" {
		t.Errorf("found %s, want fault-sink and file-sink", got)
	}
	msg := fmt.Sprint(err)
	for _, want := range []string{
		fmt.Sprintf("refusing to run plugin %s: its SHA-256 is %s, but %s lists %s for it", tampered, tamperedSum, sums, wrong),
		fmt.Sprintf("refusing to run plugin %s: its SHA-256 is %s, and %s does not list it", unlisted, unlistedSum, sums),
		fmt.Sprintf("refusing to run plugin %s: it speaks connector protocol version 99, and this worker speaks versions 1, 2, 3", newer),
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the rescan error lacks %q; it is:\n%s", want, msg)
		}
	}
	var ce *host.ChecksumError
	var ve *host.VersionError
	if !errors.As(err, &ce) || !errors.As(err, &ve) {
		t.Errorf("the error does not hold a *ChecksumError and a *VersionError: %v", err)
	}
	if got := len(h.Plugins()); got != 2 {
		t.Errorf("Plugins() has %d plugins, want 2", got)
	}

	// What was found runs, in its own process, described config and all.
	var sink sdk.Plugin
	for _, p := range found {
		if p.Name == "file-sink" {
			sink = p
		}
	}
	if k := sink.Config.Key("file"); k == nil || k.Doc == "" {
		t.Errorf("the described config lacks the file key: %v", k)
	}
	if k := sink.Config.Key("freshet.file.include.coordinates"); k == nil || k.Default != false {
		t.Errorf("the described default of include.coordinates is %v, want false", k)
	}
	fileSinkSuite(sink).Run(t)

	// A binary changed after discovery is refused when it next starts.
	os.WriteFile(filepath.Join(dir, "sinks"), []byte("#!/bin/sh\necho pwned\n"), 0o755)
	task := sink.New().(sdk.SinkConnector).NewSinkTask()
	err = task.Start(ctx, map[string]string{"file": filepath.Join(t.TempDir(), "x")})
	if !errors.As(err, &ce) || ce.Binary != filepath.Join(dir, "sinks") {
		t.Errorf("Start of a changed binary: %v, want a checksum error", err)
	}
	if c, _ := sdk.ClassOf(err); c != sdk.ClassFatal {
		t.Errorf("a checksum error is %s, want fatal", c)
	}
}

func TestLoadRefusesWhatIsNotAPlugin(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, body, want string }{
		{"chatty", "echo hello there\necho oops >&2\nsleep 5", `it printed "hello there" where go-plugin's handshake line belongs`},
		{"dies", "echo cannot read my config >&2\nexit 3", "plugin dies exited (status 3): cannot read my config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), tc.name)
			os.WriteFile(bin, []byte("#!/bin/sh\n"+tc.body+"\n"), 0o755)
			_, err := newHost(t).Load(ctx, host.Command{Path: bin})
			if err == nil || !strings.Contains(err.Error(), bin) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want an error naming %s and saying %q", err, bin, tc.want)
			}
		})
	}
}
