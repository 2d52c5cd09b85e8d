package transform

import (
	"fmt"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Error is a failure of one transform on one record. Class is the transform's
// Java class name, which the dead-letter context header
// __connect.errors.class.name reports for the TRANSFORMATION stage.
type Error struct {
	Alias string // the alias in the connector's transforms list
	Class string // e.g. org.apache.kafka.connect.transforms.InsertField$Value
	Err   error  // classified: sdk.ClassOf reports its class
}

// Error names the alias and class, then the cause.
func (e *Error) Error() string {
	return fmt.Sprintf("transform %s (%s): %v", e.Alias, e.Class, e.Err)
}

// Unwrap returns the classified cause.
func (e *Error) Unwrap() error { return e.Err }

// newError wraps err for the step; an unclassified cause becomes a record
// error, as Kafka Connect treats a failing transform.
func newError(alias, class string, err error) *Error {
	if _, ok := sdk.ClassOf(err); !ok {
		err = sdk.RecordErr(err)
	}
	return &Error{Alias: alias, Class: class, Err: err}
}

// flatten appends err, or the members of a joined error, to errs.
func flatten(errs []error, err error) []error {
	if err == nil {
		return errs
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			errs = flatten(errs, e)
		}
		return errs
	}
	return append(errs, err)
}

// configErr builds a *sdk.ConfigError for the full key.
func configErr(key, format string, args ...any) error {
	return &sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)}
}
