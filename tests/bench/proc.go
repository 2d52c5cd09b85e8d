package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a benchmarked process: it samples the process's CPU time and
// peak resident memory from /proc while it runs.
type proc struct {
	cmd     *exec.Cmd
	started time.Time
	log     *os.File
	rest    string        // a Freshet worker's REST address
	done    chan struct{} // closed when the process has exited
}

func startProc(logPath string, name string, args []string, env []string) (*proc, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), env...)
	// Its own process group, so that stop ends its children (isolated
	// plugins) with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{cmd: cmd, started: time.Now(), log: log, done: make(chan struct{})}
	go p.wait()
	return p, nil
}

func (p *proc) wait() {
	defer close(p.done)
	_ = p.cmd.Wait()
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// usage returns the process's CPU seconds (user+system) and peak RSS bytes.
func (p *proc) usage() (cpu float64, peakRSS int64) {
	return pidUsage(p.cmd.Process.Pid)
}

// tree returns the usage of the process and of its descendants (isolated
// plugin processes), named by their command lines, and fills in r's CPU and
// RSS as their sums. Call it while the processes still run: VmHWM is gone
// with the process.
func (p *proc) tree(name string, r *run) {
	pid := p.cmd.Process.Pid
	cpu, rss := pidUsage(pid)
	stats := []procStat{{Name: name, CPUSeconds: cpu, PeakRSS: rss}}
	for _, c := range descendants(pid) {
		cpu, rss := pidUsage(c)
		stats = append(stats, procStat{Name: cmdline(c), CPUSeconds: cpu, PeakRSS: rss})
	}
	r.Procs, r.CPUSeconds, r.PeakRSS = stats, 0, 0
	for _, s := range stats {
		r.CPUSeconds += s.CPUSeconds
		r.PeakRSS += s.PeakRSS
	}
	r.CPUTotal = r.CPUSeconds
}

// treeCPU is the CPU seconds of the process and its descendants so far.
func (p *proc) treeCPU() float64 {
	pid := p.cmd.Process.Pid
	cpu, _ := pidUsage(pid)
	for _, c := range descendants(pid) {
		c, _ := pidUsage(c)
		cpu += c
	}
	return cpu
}

func pidUsage(pid int) (cpu float64, peakRSS int64) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command name, which is in parentheses and may hold spaces.
		if i := bytes.LastIndexByte(b, ')'); i > 0 {
			f := strings.Fields(string(b[i+2:]))
			if len(f) > 13 {
				ut, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				cpu = (ut + st) / 100 // USER_HZ is 100 on Linux
			}
		}
	}
	if f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				peakRSS = kb << 10
			}
		}
		f.Close()
	}
	return cpu, peakRSS
}

// descendants lists the live descendants of pid.
func descendants(pid int) []int {
	parent := map[int]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		c, _ := strconv.Atoi(filepath.Base(d))
		pp, _ := strconv.Atoi(f[1])
		parent[c] = pp
	}
	var out []int
	for c := range parent {
		for a := parent[c]; a > 1; a = parent[a] {
			if a == pid {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	s := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	if i := strings.LastIndexByte(strings.Fields(s + " x")[0], '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func (p *proc) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	p.log.Close()
}

// lineCounter counts the lines of a growing file, reading only what is new.
type lineCounter struct {
	path  string
	off   int64
	lines int64
	buf   []byte
}

func (c *lineCounter) update() int64 {
	f, err := os.Open(c.path)
	if err != nil {
		return c.lines
	}
	defer f.Close()
	if c.buf == nil {
		c.buf = make([]byte, 1<<20)
	}
	for {
		k, err := f.ReadAt(c.buf, c.off)
		c.lines += int64(bytes.Count(c.buf[:k], []byte{'\n'}))
		c.off += int64(k)
		if err != nil || k == 0 {
			return c.lines
		}
	}
}
