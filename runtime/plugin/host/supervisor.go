package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/freshet-dev/freshet/connectors/sdk"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// supervisor keeps one connector's or task's plugin process running: it
// starts it, notices when it dies, restarts it after a backoff, and gives up
// after too many crashes in the window. It is used by one goroutine at a
// time, like the sdk task it serves.
type supervisor struct {
	h    *Host
	name string
	cmd  Command
	log  *zap.Logger

	proc    *process
	crashes []time.Time // within the restart window
	last    *ExitError  // the last crash
	reset   bool        // a crash the worker has not been told about yet
	failed  error       // the fatal error once crashes passed the limit
}

func (h *Host) supervise(name string, cmd Command) *supervisor {
	return &supervisor{h: h, name: name, cmd: cmd, log: h.log.With(zap.String("plugin", name))}
}

// errCrashed is what interpret returns when the process died during a call;
// the crash is recorded.
var errCrashed = errors.New("plugin process crashed")

// pending returns the error to report for a crash the worker has not been
// told about (and marks it told), the fatal error of a crash loop, or nil.
func (s *supervisor) pending() error {
	if s.failed != nil {
		return s.failed
	}
	if s.reset {
		s.reset = false
		return sdk.Retriable(&resetError{exit: s.last})
	}
	return nil
}

// live returns the running process, starting one (after the backoff, when
// the last one crashed) and calling restore on it to bring it to the state
// the connector or task was in: started with its config.
func (s *supervisor) live(ctx context.Context, restore func(context.Context, *process) error) (*process, error) {
	for {
		if s.failed != nil {
			return nil, s.failed
		}
		if s.proc != nil {
			if !s.proc.exited() {
				return s.proc, nil
			}
			s.crash(s.proc)
			continue
		}
		if err := s.backoff(ctx); err != nil {
			return nil, err
		}
		p, err := s.h.launch(ctx, s.name, s.cmd)
		if err != nil {
			var ce *ChecksumError
			var ve *VersionError
			var ee *ExitError
			switch {
			case ctx.Err() != nil:
				return nil, err
			case errors.As(err, &ce), errors.As(err, &ve):
				return nil, sdk.Fatal(err)
			case errors.As(err, &ee):
				s.record(ee)
			default:
				s.record(&ExitError{Plugin: s.name, Status: "did not start", Output: []string{err.Error()}})
			}
			continue
		}
		if restore != nil {
			if err := s.interpret(ctx, p, restore(ctx, p)); err != nil {
				if errors.Is(err, errCrashed) {
					continue
				}
				p.stop()
				return nil, err
			}
		}
		s.proc = p
		return p, nil
	}
}

// interpret turns the error of a call to p into what the caller returns: the
// plugin's own error (class, message and causes rebuilt), the caller's
// context error, or errCrashed when the process died, which it records.
func (s *supervisor) interpret(ctx context.Context, p *process, err error) error {
	if err == nil {
		return nil
	}
	if decoded, ok := pb.FromStatus(err); ok {
		return decoded
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Canceled, codes.Internal:
	default:
		// A status the plugin made without our details (a plugin in another
		// language): its message, unclassified.
		return fmt.Errorf("plugin %s: %s", s.name, status.Convert(err).Message())
	}
	// The transport failed: the process died, or it is wedged.
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-p.run.done:
	case <-t.C:
		s.log.Warn("plugin stopped answering; killing it", zap.Error(err))
		p.kill()
		s.record(&ExitError{Plugin: s.name, Status: "stopped answering: " + status.Convert(err).Message(), Output: p.tail.last(p.lines)})
		if s.proc == p {
			s.proc = nil
		}
		return errCrashed
	}
	s.crash(p)
	return errCrashed
}

// crash records that p died.
// liveForData is live for calls that carry data (Put, Flush): a process
// that died since the last call is reported as a reset, never replaced
// within the call. A new process started inside them would hold none of what
// the dead one had buffered, and a Flush answered by it would claim that
// durable. A process that dies after this check fails the call itself.
func (s *supervisor) liveForData(ctx context.Context, restore func(context.Context, *process) error) (*process, error) {
	if err := s.pending(); err != nil {
		return nil, err
	}
	if s.proc != nil {
		if s.proc.exited() {
			s.crash(s.proc)
			return nil, s.pending()
		}
		return s.proc, nil
	}
	return s.live(ctx, restore) // the reset was reported: the caller rewound
}

func (s *supervisor) crash(p *process) {
	p.stop() // reap it and its goroutines
	if s.proc == p {
		s.proc = nil
	}
	s.record(p.exitError())
}

func (s *supervisor) record(e *ExitError) {
	now := time.Now()
	keep := s.crashes[:0]
	for _, t := range s.crashes {
		if now.Sub(t) < s.h.opts.restartWindow {
			keep = append(keep, t)
		}
	}
	s.crashes = append(keep, now)
	s.last, s.reset = e, true
	if len(s.crashes) > s.h.opts.restartMax {
		s.failed = sdk.Fatal(fmt.Errorf("%w: %d crashes within %s, more than %s=%d allows; restart the task to try again: %w",
			errCrashLoop, len(s.crashes), s.h.opts.restartWindow, KeyRestartMax, s.h.opts.restartMax, e))
		s.log.Error("plugin crashed too often; giving up until the task is restarted", zap.Int("crashes", len(s.crashes)), zap.Error(e))
		return
	}
	s.log.Warn("plugin process exited; it will be restarted", zap.Int("crashes", len(s.crashes)), zap.Error(e))
}

// backoff waits before a restart: backoffMin after the first crash in the
// window, doubling with each further one, at most backoffMax.
func (s *supervisor) backoff(ctx context.Context) error {
	n := len(s.crashes)
	if n == 0 {
		return nil
	}
	d := s.h.opts.backoffMin
	for i := 1; i < n && d < s.h.opts.backoffMax; i++ {
		d *= 2
	}
	d = min(d, s.h.opts.backoffMax)
	wait := time.Until(s.crashes[n-1].Add(d))
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// alive returns the process if it is running, recording a crash it finds.
func (s *supervisor) alive() *process {
	if s.proc != nil && s.proc.exited() {
		s.crash(s.proc)
	}
	return s.proc
}

// stop stops the process, if one runs.
func (s *supervisor) stop() {
	if s.proc != nil {
		s.proc.stop()
		s.proc = nil
	}
}
