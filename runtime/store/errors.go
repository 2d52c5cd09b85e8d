package store

import "errors"

// ErrClosed is returned by a store's methods after its Close.
var ErrClosed = errors.New("store closed")

// ErrInvalid is wrapped by errors about arguments a store cannot hold: an
// empty name, an unknown target state, a nil partition, a partition or offset
// value that is not a primitive.
var ErrInvalid = errors.New("invalid")

// CorruptError reports a store file that cannot be loaded. A store never
// resets such a file: an operator fixes it or moves it aside.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return "corrupt store file " + e.Path + ": " + e.Err.Error()
}

func (e *CorruptError) Unwrap() error { return e.Err }
