package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/plugin"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// apiError is an error with the HTTP status it is answered with.
type apiError struct {
	code int
	msg  string
	err  error // cause, for logs; never shown beyond msg
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

func errorf(code int, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

func errTooLarge() *apiError {
	return errorf(http.StatusRequestEntityTooLarge, "Request body is larger than %d bytes (1 MiB)", MaxBodyBytes)
}

// errorBody is Kafka Connect's ErrorMessage.
type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// statusOf is the HTTP status an error is answered with.
func statusOf(err error) int {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae.code
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, herder.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, herder.ErrExists):
		return http.StatusConflict
	case errors.Is(err, herder.ErrInvalidConfig):
		return http.StatusBadRequest
	case errors.Is(err, herder.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// writeError answers err with Kafka Connect's error body.
func writeError(w http.ResponseWriter, err error) {
	code := statusOf(err)
	msg := err.Error()
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		msg = ae.msg
	case errors.As(err, &mbe):
		msg = errTooLarge().msg
	case errors.Is(err, context.DeadlineExceeded):
		msg = "Request timed out"
	}
	writeJSON(w, code, errorBody{ErrorCode: code, Message: msg})
}

// writeJSON answers with v as JSON. HTML characters are not escaped, as
// Jackson does not escape them.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(errorBody{code, "encode response: " + err.Error()})
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// noContent answers with a status and no body (202 pause, 204 delete, …).
func noContent(w http.ResponseWriter, code int) {
	w.WriteHeader(code)
}

// herderError maps a herder error to the status and message Kafka Connect
// gives; notFound is the 404 message for this endpoint.
func (s *Server) herderError(err error, notFound string, cfg map[string]string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, herder.ErrNotFound):
		return &apiError{code: http.StatusNotFound, msg: notFound, err: err}
	case errors.Is(err, plugin.ErrUnknownPlugin):
		return &apiError{code: http.StatusBadRequest, msg: s.unknownClassMessage(cfg[worker.KeyConnectorClass]), err: err}
	case errors.Is(err, herder.ErrInvalidConfig):
		return &apiError{code: http.StatusBadRequest, msg: invalidConfigMessage(err), err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{code: http.StatusInternalServerError, msg: "Request timed out", err: err}
	}
	return err
}

// invalidConfigMessage is Kafka Connect's message for a rejected config:
// every problem on its own line, then where to find them per key.
func invalidConfigMessage(err error) string {
	var lines []string
	for _, e := range leafErrors(err) {
		var ce *sdk.ConfigError
		if errors.As(e, &ce) {
			lines = append(lines, ce.Message)
			continue
		}
		lines = append(lines, strings.TrimPrefix(e.Error(), herder.ErrInvalidConfig.Error()+": "))
	}
	if len(lines) == 0 {
		lines = []string{err.Error()}
	}
	return fmt.Sprintf("Connector configuration is invalid and contains the following %d error(s):\n%s\n"+
		"You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
		len(lines), strings.Join(lines, "\n"))
}

// leafErrors flattens joined and wrapped errors into their leaves: each
// *sdk.ConfigError, and each error that wraps no join.
func leafErrors(err error) []error {
	if ce, ok := err.(*sdk.ConfigError); ok {
		return []error{ce}
	}
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range u.Unwrap() {
			if e != herder.ErrInvalidConfig {
				out = append(out, leafErrors(e)...)
			}
		}
		return out
	}
	for inner := errors.Unwrap(err); inner != nil; inner = errors.Unwrap(inner) {
		if _, ok := inner.(interface{ Unwrap() []error }); ok {
			return leafErrors(inner)
		}
	}
	return []error{err}
}

// unknownClassMessage lists the plugins a connector.class may name, with
// their aliases, after Kafka Connect's wording.
func (s *Server) unknownClassMessage(class string) string {
	var items []string
	for _, p := range s.plugins.Plugins() {
		item := fmt.Sprintf("%s (%s", p.Name, p.Kind)
		if len(p.Aliases) > 0 {
			item += "; aliases: " + strings.Join(p.Aliases, ", ")
		}
		items = append(items, item+")")
	}
	return fmt.Sprintf("Failed to find any class that implements Connector and which name matches %s, available connectors are: %s",
		class, strings.Join(items, ", "))
}
