package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// crashChildEnv names the offsets file a child process writes to until it is
// killed (TestCrashDuringWrites).
const crashChildEnv = "FRESHET_STORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	goleak.VerifyTestMain(m)
}

func TestFileFormat(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()

	configs, err := NewFileConfigs(filepath.Join(dir, "configs.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Connector{
		{Name: "orders-es", Config: map[string]string{"connector.class": "elasticsearch-sink", "connection.url": "http://es:9200?a=1&b=2"}, Target: TargetPaused,
			Tasks: []map[string]string{{"task": "0"}}},
		{Name: "files", Config: map[string]string{"file": "/tmp/in.txt"}},
	} {
		if err := configs.Put(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	wantFile(t, filepath.Join(dir, "configs.json"), `{
  "version": 1,
  "connectors": [
    {
      "name": "files",
      "config": {
        "file": "/tmp/in.txt"
      },
      "target": "STARTED",
      "tasks": []
    },
    {
      "name": "orders-es",
      "config": {
        "connection.url": "http://es:9200?a=1&b=2",
        "connector.class": "elasticsearch-sink"
      },
      "target": "PAUSED",
      "tasks": [
        {
          "task": "0"
        }
      ]
    }
  ]
}
`)

	offsets, err := NewFileOffsets(filepath.Join(dir, "offsets.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := offsets.Put(ctx, "file-source", []sdk.Position{
		{Partition: map[string]any{"filename": "/tmp/b.txt"}, Offset: map[string]any{"position": 7}},
		{Partition: map[string]any{"filename": "/tmp/a.txt"}, Offset: map[string]any{"position": 30}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := offsets.Put(ctx, "pg", []sdk.Position{{Partition: map[string]any{"slot": "freshet"}, Offset: map[string]any{"lsn": "0/16B3748", "ts": 1.5}}}); err != nil {
		t.Fatal(err)
	}
	wantFile(t, filepath.Join(dir, "offsets.json"), `{
  "version": 1,
  "offsets": {
    "file-source": [
      {"partition": {"filename":"/tmp/a.txt"}, "offset": {"position":30}},
      {"partition": {"filename":"/tmp/b.txt"}, "offset": {"position":7}}
    ],
    "pg": [
      {"partition": {"slot":"freshet"}, "offset": {"lsn":"0/16B3748","ts":1.5}}
    ]
  }
}
`)
	if err := offsets.DeleteAll(ctx, "file-source"); err != nil {
		t.Fatal(err)
	}
	if err := offsets.DeleteAll(ctx, "pg"); err != nil {
		t.Fatal(err)
	}
	wantFile(t, filepath.Join(dir, "offsets.json"), "{\n  \"version\": 1,\n  \"offsets\": {}\n}\n")

	for _, name := range []string{"configs.json", "offsets.json"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v; want 0600", name, fi.Mode().Perm())
		}
	}
}

func TestHandEditedOffsetsAreCanonicalised(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offsets.json")
	writeTestFile(t, path, `{"offsets": {"c": [
		{"offset": {"position": 30.0}, "partition": {"table": "t",   "db": "d"}}
	]}, "version": 1}`)
	s, err := NewFileOffsets(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(t.Context(), "c", map[string]any{"db": "d", "table": "t"})
	if err != nil || got["position"] != int64(30) {
		t.Fatalf("Get = %#v, %v; want position 30 as int64", got, err)
	}
}

func TestCorruptFiles(t *testing.T) {
	validOffsets := "{\n  \"version\": 1,\n  \"offsets\": {\"c\": [{\"partition\": {\"a\":1}, \"offset\": {\"o\":1}}]}\n}\n"
	for _, tc := range []struct {
		name, kind, content, wantMsg string
	}{
		{"empty file", "configs", "", "empty file"},
		{"garbage", "configs", "not json", "invalid character"},
		{"truncated", "configs", `{"version": 1, "connectors": [{"name": "a", "con`, "unexpected end of JSON input"},
		{"no version", "configs", `{"connectors": []}`, "unsupported version 0"},
		{"newer version", "configs", `{"version": 2, "connectors": [], "new": true}`, "unsupported version 2"},
		{"unknown field", "configs", `{"version": 1, "connectors": [], "extra": 1}`, "unknown field"},
		{"trailing data", "configs", `{"version": 1, "connectors": []} {}`, "after top-level value"},
		{"empty name", "configs", `{"version": 1, "connectors": [{"name": "", "target": "STARTED"}]}`, "empty name"},
		{"bad target", "configs", `{"version": 1, "connectors": [{"name": "a", "target": "RUNNING"}]}`, "target state"},
		{"duplicate connector", "configs", `{"version": 1, "connectors": [{"name": "a", "target": "STARTED"}, {"name": "a", "target": "PAUSED"}]}`, "listed twice"},
		{"truncated offsets", "offsets", validOffsets[:len(validOffsets)/2], "unexpected end of JSON input"},
		{"offsets no version", "offsets", `{"offsets": {}}`, "unsupported version 0"},
		{"nested offset value", "offsets", `{"version": 1, "offsets": {"c": [{"partition": {"a":1}, "offset": {"o":{"x":1}}}]}}`, "offsets hold only"},
		{"null offset", "offsets", `{"version": 1, "offsets": {"c": [{"partition": {"a":1}, "offset": null}]}}`, "nil map"},
		{"missing partition", "offsets", `{"version": 1, "offsets": {"c": [{"offset": {"o":1}}]}}`, "missing"},
		{"duplicate partition", "offsets", `{"version": 1, "offsets": {"c": [{"partition": {"a":1,"b":2}, "offset": {}}, {"partition": {"b":2,"a":1.0}, "offset": {}}]}}`, "duplicate partition"},
		{"empty connector", "offsets", `{"version": 1, "offsets": {"": [{"partition": {}, "offset": {}}]}}`, "empty connector"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.kind+".json")
			writeTestFile(t, path, tc.content)
			var err error
			if tc.kind == "configs" {
				_, err = NewFileConfigs(path)
			} else {
				_, err = NewFileOffsets(path)
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Path != path {
				t.Fatalf("open = %v; want a *CorruptError for %s", err, path)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("error %q does not name the file and say %q", err, tc.wantMsg)
			}
			wantFile(t, path, tc.content) // never reset
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewFileConfigs(filepath.Join(dir, "missing", "configs.json")); err == nil {
		t.Error("NewFileConfigs in a missing directory succeeded")
	}
	if _, err := NewFileOffsets(filepath.Join(dir, "missing", "offsets.json")); err == nil {
		t.Error("NewFileOffsets in a missing directory succeeded")
	}
	if _, err := NewFileOffsets(dir); err == nil {
		t.Error("NewFileOffsets on a directory succeeded")
	}
	// A missing file is an empty store, and opening does not create it.
	path := filepath.Join(dir, "offsets.json")
	if _, err := NewFileOffsets(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("opening created %s (stat: %v)", path, err)
	}
}

// countWrites makes a store's writes go through writeFile and counts them.
func countWrites(w *writeFunc) *int {
	n := new(int)
	*w = func(path string, data []byte) error {
		*n++
		return writeFile(path, data)
	}
	return n
}

func TestFileOffsetsRewriteOnlyOnChange(t *testing.T) {
	ctx := t.Context()
	s, err := NewFileOffsets(filepath.Join(t.TempDir(), "offsets.json"))
	if err != nil {
		t.Fatal(err)
	}
	writes := countWrites(&s.write)
	p := func(name string, off map[string]any) sdk.Position {
		return sdk.Position{Partition: map[string]any{"f": name}, Offset: off}
	}
	for _, tc := range []struct {
		name      string
		do        func() error
		wantWrite bool
	}{
		{"first put", func() error {
			return s.Put(ctx, "c", []sdk.Position{p("a", map[string]any{"o": 1}), p("b", map[string]any{"o": 1})})
		}, true},
		{"same offsets", func() error {
			return s.Put(ctx, "c", []sdk.Position{p("a", map[string]any{"o": 1}), p("b", map[string]any{"o": 1})})
		}, false},
		{"same offsets, other number types", func() error { return s.Put(ctx, "c", []sdk.Position{p("a", map[string]any{"o": 1.0})}) }, false},
		{"empty slice", func() error { return s.Put(ctx, "c", nil) }, false},
		{"tombstone of a missing partition", func() error { return s.Put(ctx, "c", []sdk.Position{p("x", nil)}) }, false},
		{"change then change back in one put", func() error {
			return s.Put(ctx, "c", []sdk.Position{p("a", map[string]any{"o": 2}), p("a", map[string]any{"o": 1})})
		}, false},
		{"one offset moved", func() error {
			return s.Put(ctx, "c", []sdk.Position{p("a", map[string]any{"o": 1}), p("b", map[string]any{"o": 2})})
		}, true},
		{"delete all of a connector without offsets", func() error { return s.DeleteAll(ctx, "other") }, false},
		{"delete all", func() error { return s.DeleteAll(ctx, "c") }, true},
	} {
		before := *writes
		if err := tc.do(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := *writes > before; got != tc.wantWrite {
			t.Errorf("%s: rewrote the file: %v; want %v", tc.name, got, tc.wantWrite)
		}
	}
}

// crashWrite simulates a process that dies in the middle of writeFile: it
// leaves a temporary file holding the first half of the new contents and
// never renames it.
func crashWrite(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), tempPrefix(path)+"*")
	if err != nil {
		return err
	}
	_, err = f.Write(data[:len(data)/2])
	return errors.Join(err, f.Close(), errors.New("simulated crash"))
}

func TestCrashMidWriteKeepsOldState(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()

	t.Run("configs", func(t *testing.T) {
		path := filepath.Join(dir, "configs.json")
		s, err := NewFileConfigs(path)
		if err != nil {
			t.Fatal(err)
		}
		old := Connector{Name: "a", Config: map[string]string{"k": "old"}, Target: TargetStarted}
		if err := s.Put(ctx, old); err != nil {
			t.Fatal(err)
		}
		s.write = crashWrite
		if err := s.Put(ctx, Connector{Name: "a", Config: map[string]string{"k": "new"}}); err == nil {
			t.Fatal("Put succeeded though its write failed")
		}
		if err := s.Delete(ctx, "a"); err == nil {
			t.Fatal("Delete succeeded though its write failed")
		}
		// The in-memory copy was not updated.
		if got, _, _ := s.Get(ctx, "a"); got.Config["k"] != "old" {
			t.Fatalf("after a failed write Get = %+v; want the old config", got)
		}
		wantTempFiles(t, path, 2)
		// The process "restarts".
		s, err = NewFileConfigs(path)
		if err != nil {
			t.Fatalf("reopen after crash: %v", err)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 1 || list[0].Config["k"] != "old" {
			t.Fatalf("after reopen List = %+v, %v; want the old config", list, err)
		}
		wantTempFiles(t, path, 0)
	})

	t.Run("offsets", func(t *testing.T) {
		path := filepath.Join(dir, "offsets.json")
		s, err := NewFileOffsets(path)
		if err != nil {
			t.Fatal(err)
		}
		part := map[string]any{"f": "/x"}
		if err := s.Put(ctx, "c", []sdk.Position{{Partition: part, Offset: map[string]any{"o": 1}}}); err != nil {
			t.Fatal(err)
		}
		s.write = crashWrite
		if err := s.Put(ctx, "c", []sdk.Position{{Partition: part, Offset: map[string]any{"o": 2}}, {Partition: map[string]any{"f": "/y"}, Offset: map[string]any{}}}); err == nil {
			t.Fatal("Put succeeded though its write failed")
		}
		if err := s.DeleteAll(ctx, "c"); err == nil {
			t.Fatal("DeleteAll succeeded though its write failed")
		}
		all, _ := s.All(ctx, "c")
		if len(all) != 1 || all[0].Offset["o"] != int64(1) {
			t.Fatalf("after a failed write All = %v; want only o=1", all)
		}
		wantTempFiles(t, path, 2)
		s, err = NewFileOffsets(path)
		if err != nil {
			t.Fatalf("reopen after crash: %v", err)
		}
		all, err = s.All(ctx, "c")
		if err != nil || len(all) != 1 || all[0].Offset["o"] != int64(1) {
			t.Fatalf("after reopen All = %v, %v; want only o=1", all, err)
		}
		wantTempFiles(t, path, 0)
		// And the store writes again.
		if err := s.Put(ctx, "c", []sdk.Position{{Partition: part, Offset: map[string]any{"o": 3}}}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCrashDuringWrites kills (SIGKILL) a process that is putting offsets in a
// loop, at a different moment each round, and checks after each kill that the
// file opens, that every acknowledged Put survived, and that each Put was
// all or nothing.
func TestCrashDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "offsets.json")
	for round := range 4 {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Each line is a Put the child saw succeed.
		acked, lines := int64(0), 0
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if acked, err = strconv.ParseInt(sc.Text(), 10, 64); err != nil {
				t.Fatalf("child wrote %q", sc.Text())
			}
			if lines++; lines == 3+round*5 {
				_ = cmd.Process.Kill()
			}
		}
		_ = cmd.Wait()
		if lines < 3+round*5 {
			t.Fatalf("round %d: child exited after %d puts: %s", round, lines, stderr.String())
		}

		s, err := NewFileOffsets(path)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		all, err := s.All(t.Context(), "c")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != crashPartitions {
			t.Fatalf("round %d: %d partitions stored; want %d", round, len(all), crashPartitions)
		}
		n := all[0].Offset["n"].(int64)
		for _, p := range all {
			if p.Offset["n"] != n {
				t.Fatalf("round %d: a torn Put: partition %v at %v, partition %v at %d", round, p.Partition, p.Offset["n"], all[0].Partition, n)
			}
		}
		if n < acked || n > acked+1 {
			t.Fatalf("round %d: stored n=%d; the child acknowledged n=%d", round, n, acked)
		}
		_ = s.Close()
	}
}

const crashPartitions = 50

// crashChild puts offsets into the file at path until it is killed, printing
// each n once its Put returned.
func crashChild(path string) {
	s, err := NewFileOffsets(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	n := int64(0)
	if off, err := s.Get(ctx, "c", map[string]any{"p": 0}); err == nil && off != nil {
		n = off["n"].(int64)
	}
	positions := make([]sdk.Position, crashPartitions)
	pad := strings.Repeat("x", 1000) // a file of some 50 KB, written in more than one piece
	for {
		n++
		for i := range positions {
			positions[i] = sdk.Position{Partition: map[string]any{"p": i}, Offset: map[string]any{"n": n, "pad": pad}}
		}
		if err := s.Put(ctx, "c", positions); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(n)
	}
}

func wantFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s =\n%s\nwant\n%s", path, got, want)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func wantTempFiles(t *testing.T, path string, want int) {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), tempPrefix(path)+"*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != want {
		t.Fatalf("%d temporary files next to %s (%v); want %d", len(matches), path, matches, want)
	}
}
