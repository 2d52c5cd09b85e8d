package sinks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/postgres"
	"github.com/freshet-dev/freshet/connectors/redis"
	"github.com/freshet-dev/freshet/connectors/sdk"
)

// crashSpec describes a crash test run: the sink, its config, and how to
// generate the records. The parent test passes it to the child process as
// JSON; both generate the same records from it.
type crashSpec struct {
	Plugin     string // postgres or redis
	Config     map[string]string
	Topic      string
	Parts      int
	N          int
	Keys       int    // ids are drawn from [0, Keys); 0 means each record has its own id
	Tombstones bool   // some records are tombstones
	Poison     string // how poison records are made: "price" (negative), "scalar" (a string value) or "empty" (no fields)
	Seed       uint64
	Dir        string // the child's state: committed offsets and dead letters
}

// records generates the spec's records in production order. Each id lives in
// one partition (id mod Parts), as with Kafka's key partitioner.
func (s crashSpec) records() []sdk.Record {
	rng := rand.New(rand.NewPCG(s.Seed, 7))
	next := make([]int64, s.Parts)
	out := make([]sdk.Record, 0, s.N)
	for i := range s.N {
		id := int64(i)
		if s.Keys > 0 {
			id = int64(rng.IntN(s.Keys))
		}
		p := int32(id % int64(s.Parts))
		price := float64(rng.IntN(100000)) / 100
		op := rng.IntN(100)
		var r sdk.Record
		switch {
		case s.Tombstones && op < 8:
			r = item(s.Topic, p, next[p], id, nil, nil)
		case op < 12 && s.Poison == "price":
			r = item(s.Topic, p, next[p], id, "poison", -1.0)
		case op < 12 && s.Poison == "scalar":
			r = item(s.Topic, p, next[p], id, "x", nil)
			r.Value, r.ValueSchema = "poison", sdk.StringSchema
		case op < 12 && s.Poison == "empty":
			r = item(s.Topic, p, next[p], id, "x", nil)
			r.Value, r.ValueSchema = map[string]any{}, nil
		default:
			r = item(s.Topic, p, next[p], id, "n"+strconv.Itoa(i), price)
		}
		if op < 12 && !(s.Tombstones && op < 8) && s.Poison != "" {
			r.Headers = []sdk.Header{{Key: "poison", Value: []byte("1")}}
		}
		next[p]++
		out = append(out, r)
	}
	return out
}

// poisoned reports whether a record of a crashSpec must fail.
func poisoned(r *sdk.Record) bool {
	_, ok := r.Header("poison")
	return ok
}

func (s crashSpec) plugin() sdk.Plugin {
	if s.Plugin == "redis" {
		return redis.Plugin()
	}
	return postgres.Plugin()
}

// TestSinkCrashChild is the child process of the crash tests; it does nothing
// unless FRESHET_SINK_CRASH_CHILD holds a crashSpec.
//
// It plays the runtime's part: it resumes each partition from the offset the
// sink's Open returns, else from its own "consumer group" offsets; delivers
// batches of random size; writes dead letters (durably) before it flushes;
// and commits what Flush returns. The parent kills it with SIGKILL at random
// points.
func TestSinkCrashChild(t *testing.T) {
	raw := os.Getenv("FRESHET_SINK_CRASH_CHILD")
	if raw == "" {
		t.Skip("the child process of the crash tests")
	}
	var s crashSpec
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	recs := s.records()
	byTP := map[sdk.TopicPartition][]sdk.Record{}
	var tps []sdk.TopicPartition
	for _, r := range recs {
		tp := r.TopicPartition()
		if byTP[tp] == nil {
			tps = append(tps, tp)
		}
		byTP[tp] = append(byTP[tp], r)
	}
	committed := readCommitted(t, s.Dir)
	task := startTask(t, s.plugin(), s.Config)
	stored, err := task.Open(ctx, tps)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	pos := map[sdk.TopicPartition]int64{}
	for _, tp := range tps {
		if off, ok := stored[tp]; ok {
			pos[tp] = off
		} else {
			pos[tp] = committed[tp.String()]
		}
	}
	dlq, err := os.OpenFile(filepath.Join(s.Dir, "dlq"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	flush := func() {
		safe, err := task.Flush(ctx, sdk.Offsets(pos))
		if err != nil {
			t.Fatalf("Flush: %v", err)
		}
		writeCommitted(t, s.Dir, safe)
	}
	for {
		var batch []sdk.Record
		for _, i := range rng.Perm(len(tps)) {
			tp := tps[i]
			n := int64(1 + rng.IntN(20))
			from := pos[tp]
			to := min(from+n, int64(len(byTP[tp])))
			batch = append(batch, byTP[tp][from:to]...)
		}
		if len(batch) == 0 {
			break
		}
		err := task.Put(ctx, batch)
		var be *sdk.BatchError
		if err != nil && !errors.As(err, &be) {
			t.Fatalf("Put: %v", err)
		}
		if be != nil {
			var lines []byte
			for i := range be.Failed {
				lines = fmt.Appendf(lines, "%s/%d\n", batch[i].TopicPartition(), batch[i].Offset)
			}
			if _, err := dlq.Write(lines); err != nil {
				t.Fatal(err)
			}
			if err := dlq.Sync(); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range batch {
			pos[r.TopicPartition()] = r.Offset + 1
		}
		if rng.IntN(4) == 0 {
			flush()
		}
		time.Sleep(time.Duration(5+rng.IntN(10)) * time.Millisecond)
	}
	flush()
}

func readCommitted(t *testing.T, dir string) map[string]int64 {
	out := map[string]int64{}
	b, err := os.ReadFile(filepath.Join(dir, "committed"))
	if errors.Is(err, os.ErrNotExist) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func writeCommitted(t *testing.T, dir string, offs sdk.Offsets) {
	m := map[string]int64{}
	for tp, o := range offs {
		m[tp.String()] = o
	}
	b, _ := json.Marshal(m)
	tmp := filepath.Join(dir, "committed.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "committed")); err != nil {
		t.Fatal(err)
	}
}

// crashLoop runs the child, SIGKILLs it at a random moment, kills times, then
// lets a last child run to the end. It returns the records.
func crashLoop(t *testing.T, s crashSpec, kills int) []sdk.Record {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s.Dir = t.TempDir()
	raw, _ := json.Marshal(s)
	child := func() (*exec.Cmd, *bytes.Buffer, chan error) {
		cmd := exec.Command(exe, "-test.run=^TestSinkCrashChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "FRESHET_SINK_CRASH_CHILD="+string(raw))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd, &out, done
	}
	for k := 0; k < kills; k++ {
		cmd, out, done := child()
		select {
		case err := <-done:
			t.Fatalf("child %d ended before it was killed (err %v); raise N:\n%s", k, err, out)
		case <-time.After(time.Duration(60+rand.IntN(400)) * time.Millisecond):
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("child %d: %v, want killed:\n%s", k, err, out)
		}
		if strings.Contains(out.String(), "--- FAIL") {
			t.Fatalf("child %d failed before it was killed:\n%s", k, out)
		}
	}
	_, out, done := child()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(out.String(), "--- PASS: TestSinkCrashChild") {
			t.Fatalf("last child: %v\n%s", err, out)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("last child did not finish in 2 minutes")
	}
	recs := s.records()
	// Every poison record reached the dead letters; no other record did.
	got := map[string]bool{}
	f, err := os.Open(filepath.Join(s.Dir, "dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		got[sc.Text()] = true
	}
	var missing, extra []string
	want := map[string]bool{}
	for i := range recs {
		if poisoned(&recs[i]) {
			k := fmt.Sprintf("%s/%d", recs[i].TopicPartition(), recs[i].Offset)
			want[k] = true
			if !got[k] {
				missing = append(missing, k)
			}
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 || len(want) == 0 {
		t.Errorf("dead letters: %d poison records, missing %v, extra %v", len(want), missing, extra)
	}
	return recs
}
