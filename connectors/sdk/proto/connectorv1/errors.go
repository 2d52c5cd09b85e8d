package connectorv1

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Sentinels that keep their identity across the boundary: errors.Is works
// on the decoded error as on the original.
var sentinels = map[string]error{
	"context.Canceled":         context.Canceled,
	"context.DeadlineExceeded": context.DeadlineExceeded,
	"sdk.ErrTaskReset":         sdk.ErrTaskReset,
}

// maxCauses bounds the chain sent, against cycles and absurd depth.
const maxCauses = 32

// EncodeError describes err: its class, message and cause chain. A nil err
// is nil.
func EncodeError(err error) *Error {
	if err == nil {
		return nil
	}
	class, _ := sdk.ClassOf(err)
	m := &Error{Class: Class(class), Message: err.Error()}
	for e := err; e != nil && len(m.Causes) < maxCauses; e = errors.Unwrap(e) {
		c := &Cause{Message: e.Error(), Type: fmt.Sprintf("%T", e)}
		var se *sdk.Error
		if errors.As(e, &se) && se == e {
			c.Class = Class(se.Class)
		}
		if ce, ok := e.(*sdk.ConfigError); ok {
			c.ConfigKey, c.Message = ce.Key, ce.Message
		}
		for name, s := range sentinels {
			if e == s {
				c.Sentinel = name
			}
		}
		m.Causes = append(m.Causes, c)
		if _, joined := e.(interface{ Unwrap() []error }); joined {
			break // a join's branches are in its message; the chain stops here
		}
	}
	return m
}

// remoteError is one link of a cause chain rebuilt from an Error.
type remoteError struct {
	msg  string
	typ  string
	next error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.next }

// DecodeError rebuilds an error from m: its message is the original's,
// sdk.ClassOf returns the original's class, errors.Is finds the sentinels
// of the chain, and errors.As finds *sdk.ConfigError links.
func DecodeError(m *Error) error {
	if m == nil {
		return nil
	}
	var next error
	for i := len(m.Causes) - 1; i >= 0; i-- {
		c := m.Causes[i]
		switch {
		case c.Sentinel != "" && sentinels[c.Sentinel] != nil:
			next = sentinels[c.Sentinel]
		case c.ConfigKey != "":
			next = &sdk.ConfigError{Key: c.ConfigKey, Message: c.Message}
		case c.Class != Class_CLASS_UNKNOWN:
			next = &sdk.Error{Class: sdk.Class(c.Class), Err: orMessage(next, c.Message)}
		default:
			next = &remoteError{msg: c.Message, typ: c.Type, next: next}
		}
	}
	if next == nil || next.Error() != m.Message {
		next = &remoteError{msg: m.Message, next: next}
	}
	if _, ok := sdk.ClassOf(next); !ok && m.Class != Class_CLASS_UNKNOWN {
		next = &sdk.Error{Class: sdk.Class(m.Class), Err: next}
	}
	return next
}

func orMessage(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

// Status returns err as a gRPC status error carrying an Error in its
// details. The code is a hint for generic gRPC tools; the class in the
// details is what the host reads.
func Status(err error) error {
	if err == nil {
		return nil
	}
	code := codes.Unknown
	switch {
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	default:
		if c, _ := sdk.ClassOf(err); c == sdk.ClassRetriable {
			code = codes.Unavailable
		} else if c == sdk.ClassFatal {
			code = codes.FailedPrecondition
		}
	}
	st, derr := status.New(code, err.Error()).WithDetails(EncodeError(err))
	if derr != nil {
		return status.Error(code, err.Error())
	}
	return st.Err()
}

// FromStatus rebuilds the error a plugin returned from a gRPC call error.
// ok is false when err carries no Error detail: a transport failure (the
// process went away) or a status the plugin made without one, which the
// caller must interpret.
func FromStatus(err error) (decoded error, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return err, false
	}
	for _, d := range st.Details() {
		if m, isErr := d.(*Error); isErr {
			return DecodeError(m), true
		}
	}
	return err, false
}

// Problems converts per-key validation messages to messages, keys sorted.
func Problems(m map[string][]string) []*ConfigProblem {
	out := make([]*ConfigProblem, 0, len(m))
	for k, msgs := range m {
		if len(msgs) > 0 {
			out = append(out, &ConfigProblem{Key: k, Messages: msgs})
		}
	}
	slices.SortFunc(out, func(a, b *ConfigProblem) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// ToProblems converts messages back to per-key messages; none is nil.
func ToProblems(ps []*ConfigProblem) map[string][]string {
	if len(ps) == 0 {
		return nil
	}
	out := make(map[string][]string, len(ps))
	for _, p := range ps {
		out[p.Key] = append(out[p.Key], p.Messages...)
	}
	return out
}
