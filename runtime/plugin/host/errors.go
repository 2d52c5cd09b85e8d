package host

import (
	"errors"
	"fmt"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// ExitError reports that a plugin process ended while it was in use.
type ExitError struct {
	Plugin string
	// Status is "status N" for an exit code, "signal NAME" for a signal,
	// or what went wrong when the process stopped answering.
	Status string
	// Output holds the last lines the plugin printed, oldest first.
	Output []string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("plugin %s exited (%s)", e.Plugin, e.Status)
	if len(e.Output) > 0 {
		msg += ": " + strings.Join(e.Output, "\n")
	}
	return msg
}

// resetError is what a task's Put, Flush or Poll returns after its process
// died: the crash, wrapping sdk.ErrTaskReset, so the worker rewinds.
type resetError struct{ exit *ExitError }

func (e *resetError) Error() string   { return e.exit.Error() }
func (e *resetError) Unwrap() []error { return []error{e.exit, sdk.ErrTaskReset} }

// ChecksumError reports a plugin binary whose SHA-256 is not the one
// plugin.checksums lists for it, or that the file does not list.
type ChecksumError struct {
	Binary    string // the executable's path
	File      string // the checksum file
	Got, Want string // hex SHA-256; Want is empty when the file does not list the binary
}

func (e *ChecksumError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("refusing to run plugin %s: its SHA-256 is %s, and %s does not list it", e.Binary, e.Got, e.File)
	}
	return fmt.Sprintf("refusing to run plugin %s: its SHA-256 is %s, but %s lists %s for it", e.Binary, e.Got, e.File, e.Want)
}

// VersionError reports a plugin that speaks no protocol version this worker
// speaks.
type VersionError struct {
	Binary    string
	Got       string // the version the plugin offered
	Supported []int  // the versions this worker speaks
}

func (e *VersionError) Error() string {
	versions := "version " + joinInts(e.Supported)
	if len(e.Supported) > 1 {
		versions = "versions " + joinInts(e.Supported)
	}
	return fmt.Sprintf("refusing to run plugin %s: it speaks connector protocol version %s, and this worker speaks %s",
		e.Binary, e.Got, versions)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// errCrashLoop wraps the last crash when a task crashed too often.
var errCrashLoop = errors.New("crashed too often")
