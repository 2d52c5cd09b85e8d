package host

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/hashicorp/go-plugin/runner"
)

// procRunner runs a plugin executable for go-plugin (runner.Runner). Unlike
// go-plugin's own runner it keeps the plugin's standard output after the
// handshake line (and logs it), records the handshake line, and tells when
// and how the process ended.
type procRunner struct {
	cmd    *exec.Cmd
	out    *lineLog // standard output after the handshake
	stdout io.ReadCloser
	stderr io.ReadCloser
	hand   *io.PipeReader // what go-plugin reads: only the handshake line

	copied chan struct{} // closed when the stdout copier is done

	mu        sync.Mutex
	handshake string
	pid       int

	done   chan struct{} // closed when the process has ended
	status string        // how it ended, once done is closed
}

var _ runner.Runner = (*procRunner)(nil)

func newRunner(cmd *exec.Cmd, out *lineLog) (*procRunner, error) {
	cmd.Stdin = nil
	setDeathSignal(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	return &procRunner{cmd: cmd, out: out, stdout: stdout, stderr: stderr, copied: make(chan struct{}), done: make(chan struct{})}, nil
}

func (r *procRunner) Start(context.Context) error {
	if err := r.cmd.Start(); err != nil {
		close(r.copied)
		return err
	}
	r.mu.Lock()
	r.pid = r.cmd.Process.Pid
	r.mu.Unlock()
	pr, pw := io.Pipe()
	r.hand = pr
	go r.copyStdout(pw)
	return nil
}

// copyStdout hands the first line (the handshake) to go-plugin, then logs
// every further line until the plugin closes its standard output.
func (r *procRunner) copyStdout(hand *io.PipeWriter) {
	defer close(r.copied)
	br := bufio.NewReaderSize(r.stdout, 64<<10)
	first, err := br.ReadString('\n')
	r.mu.Lock()
	r.handshake = strings.TrimSpace(first)
	r.mu.Unlock()
	if first != "" {
		_, _ = hand.Write([]byte(first))
	}
	hand.Close()
	if err != nil {
		return
	}
	_, _ = io.Copy(r.out, br)
}

// Handshake returns the handshake line the plugin printed, if any.
func (r *procRunner) Handshake() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.handshake
}

func (r *procRunner) Wait(context.Context) error {
	<-r.copied
	err := r.cmd.Wait()
	r.status = describeExit(r.cmd.ProcessState, err)
	close(r.done)
	return err
}

// describeExit says how a process ended: "status N" or "signal NAME".
func describeExit(ps *os.ProcessState, err error) string {
	if ps == nil {
		if err != nil {
			return err.Error()
		}
		return "unknown status"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("signal %s", signalName(ws.Signal()))
	}
	return fmt.Sprintf("status %d", ps.ExitCode())
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return s.String()
}

func (r *procRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (r *procRunner) Stdout() io.ReadCloser { return r.hand }
func (r *procRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *procRunner) Name() string          { return r.cmd.Path }

func (r *procRunner) ID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pid == 0 {
		return ""
	}
	return fmt.Sprint(r.pid)
}

// Pid returns the process id (0 before Start).
func (r *procRunner) Pid() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pid
}

func (r *procRunner) Diagnose(context.Context) string {
	return "the plugin did not print go-plugin's handshake line: is it a Freshet connector plugin built for this platform, and does it call plugin.Serve?"
}

func (r *procRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *procRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}
