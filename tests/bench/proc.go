package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// proc is a benchmarked process: it samples the process's CPU time and
// peak resident memory from /proc while it runs.
type proc struct {
	cmd     *exec.Cmd
	started time.Time
	log     *os.File
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
	pid := p.cmd.Process.Pid
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

func (p *proc) stop() {
	_ = p.cmd.Process.Kill()
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
