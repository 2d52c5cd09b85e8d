package redis

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// classOfReply classifies an error reply of the Redis server by its prefix.
// Server states that pass (loading a dataset after a restart, a busy script,
// a replica that cannot accept writes, out of memory) are retriable; a value
// of the wrong type is the record's fault; the rest (authentication,
// permissions, unknown commands) are fatal.
func classOfReply(msg string) sdk.Class {
	code, _, _ := strings.Cut(msg, " ")
	switch code {
	case "WRONGTYPE":
		return sdk.ClassRecord
	case "LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "OOM",
		"NOREPLICAS", "MISCONF", "EXECABORT", "MOVED", "ASK":
		return sdk.ClassRetriable
	}
	return sdk.ClassFatal
}

// classOf classifies an error from go-redis.
func classOf(err error) sdk.Class {
	if c, ok := sdk.ClassOf(err); ok {
		return c
	}
	if errors.Is(err, goredis.TxFailedErr) {
		return sdk.ClassRetriable // a WATCHed key changed: reload and retry
	}
	var re goredis.Error
	if errors.As(err, &re) {
		return classOfReply(re.Error())
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.As(err, &ne):
		return sdk.ClassRetriable
	}
	// go-redis's own errors on a broken connection or a full pool.
	return sdk.ClassRetriable
}

// classify wraps err with its class, unless it already carries one.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := sdk.ClassOf(err); ok {
		return err
	}
	switch classOf(err) {
	case sdk.ClassRecord:
		return sdk.RecordErr(err)
	case sdk.ClassRetriable:
		return sdk.Retriable(err)
	}
	return sdk.Fatal(err)
}
