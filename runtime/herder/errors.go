package herder

import "errors"

// Sentinel errors, mapped to HTTP statuses by the REST layer.
var (
	// ErrNotFound: no connector (or task) by that name.
	ErrNotFound = errors.New("not found")
	// ErrExists: a connector by that name already exists.
	ErrExists = errors.New("already exists")
	// ErrInvalidConfig: the config failed validation.
	ErrInvalidConfig = errors.New("invalid connector configuration")
	// ErrConflict: the request cannot be served in the connector's current state.
	ErrConflict = errors.New("conflict")
)
