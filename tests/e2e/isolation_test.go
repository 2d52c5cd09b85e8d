package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// pluginPIDs returns the pids of `freshet plugin serve NAME` processes whose
// parent is ppid.
func pluginPIDs(t *testing.T, ppid int, name string) []int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.Contains(string(cmd), "plugin\x00serve\x00"+name) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		st, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// /proc/PID/stat: pid (comm) state ppid …; comm may hold spaces.
		fields := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(ppid) {
			out = append(out, pid)
		}
	}
	return out
}

// TestIsolatedSinkSurvivesPluginKills runs the file sink as an isolated
// plugin process (plugin.isolation=process) while datagen feeds it, SIGKILLs
// the plugin processes at random moments, and checks that the task comes
// back on its own, that its status shows the crash while it is down, and
// that no record is lost.
func TestIsolatedSinkSurvivesPluginKills(t *testing.T) {
	s := setup(t)
	const (
		records = 60_000
		rate    = 2000 // records/s: about 30 s of data, so every kill lands mid-stream
		kills   = 6
	)
	topic := e2etest.UniqueName("e2e-isolated")
	s.CreateTopic(t, topic, 3)
	dir := t.TempDir()
	out := filepath.Join(dir, "sink.txt")
	gen := map[string]string{
		"connector.class": "datagen", "topic": topic, "rate.per.sec": strconv.Itoa(rate),
		"max.records": strconv.Itoa(records), "seed": "7",
	}
	sink := map[string]string{
		"connector.class": "FileStreamSink", "topics": topic, "file": out,
		"freshet.file.include.coordinates": "true", "plugin.isolation": "process",
	}
	props := s.WorkerProps(t, dir)
	props["offset.flush.interval.ms"] = "1000"
	props["freshet.plugin.restart.max"] = "20" // above the kills: past it the task stays FAILED by design
	w := s.NewWorker(t, dir, props, map[string]map[string]string{"gen": gen, "sink": sink})
	w.Start()
	w.WaitRunning("sink", time.Minute)

	rng := e2etest.NewRand(t)
	sawCrash := ""
	for k := 1; k <= kills; k++ {
		size0 := fileSize(t, out)
		w.WaitFor(time.Minute, "the isolated sink to write", func() (bool, string) {
			size := fileSize(t, out)
			return size > size0, fmt.Sprintf("sink output %d bytes (was %d)", size, size0)
		})
		time.Sleep(e2etest.RandomDuration(rng, 100*time.Millisecond, 1500*time.Millisecond)) // a random moment, not a condition
		pids := pluginPIDs(t, w.PID(), "file-sink")
		if len(pids) == 0 {
			t.Fatalf("kill %d: no `freshet plugin serve file-sink` process under worker %d", k, w.PID())
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		// While the process is down the task's status says why.
		if sawCrash == "" {
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) && sawCrash == "" {
				if st, err := w.Status("sink"); err == nil && len(st.Tasks) > 0 && strings.Contains(st.Tasks[0].Trace, "exited") {
					sawCrash = st.Tasks[0].State + ": " + st.Tasks[0].Trace
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		t.Logf("kill %d: SIGKILLed plugin processes %v; sink output %d bytes", k, pids, fileSize(t, out))
	}
	if sawCrash == "" {
		t.Errorf("the task's status never showed the plugin crash")
	} else {
		t.Logf("status while down: %.200s", sawCrash)
	}

	tail := newFileTail(out, topic)
	w.WaitFor(3*time.Minute, "every offset of the topic in the sink's file", func() (bool, string) {
		end := s.EndOffsets(t, topic)
		if e2etest.Sum(end) < records {
			return false, fmt.Sprintf("topic holds %d of %d records", e2etest.Sum(end), records)
		}
		tail.update(t)
		return covers(tail.coordParser, end)
	})
	st := w.WaitRunning("sink", time.Minute)
	w.Stop(30 * time.Second)
	end := s.EndOffsets(t, topic)
	tail.update(t)
	d := analyze(tail.entries, end, nil)
	t.Logf("isolated sink: %d lines for %d offsets (%d redelivered after %d plugin kills); final status %s",
		d.lines, e2etest.Sum(end), d.lines-d.distinct(), kills, st)
	if d.nMissing > 0 {
		t.Errorf("sink lost %d offsets, e.g. %v", d.nMissing, d.missing)
	}
	if d.beyond > 0 {
		t.Errorf("sink wrote %d lines past the topic's end", d.beyond)
	}
}
