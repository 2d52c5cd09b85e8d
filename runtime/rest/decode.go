package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// readJSON decodes the request body into v. Malformed JSON is a 400 that
// names the line and column; a body over MaxBodyBytes is a 413; a body sent
// as something other than JSON is a 415, as in Kafka Connect.
func readJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "text/json") {
			return errorf(http.StatusUnsupportedMediaType, "Unsupported Content-Type %q: send the body as application/json", ct)
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge()
		}
		return errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes exactly one JSON value from body into v.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(http.StatusBadRequest, "Request body is empty: send a JSON document")
	}
	if !utf8.Valid(body) {
		line, col := position(body, invalidUTF8Offset(body))
		return errorf(http.StatusBadRequest, "Malformed JSON at line %d, column %d: invalid UTF-8", line, col)
	}
	// json.Unmarshal, not a Decoder: it hands UnmarshalJSON methods slices of
	// body itself, so their errors can say where they are (fieldError.raw).
	if err := json.Unmarshal(body, v); err != nil {
		return jsonError(body, err)
	}
	return nil
}

// jsonError turns a decoding error into a 400 that says where and what.
func jsonError(body []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var fe *fieldError
	switch {
	case errors.As(err, &se):
		line, col := position(body, se.Offset-1) // Offset is just past the bad byte
		return errorf(http.StatusBadRequest, "Malformed JSON at line %d, column %d: %s", line, col, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		line, col := position(body, int64(len(body)))
		return errorf(http.StatusBadRequest, "Malformed JSON at line %d, column %d: unexpected end of input", line, col)
	case errors.As(err, &fe):
		line, col := position(body, offsetIn(body, fe.raw))
		return errorf(http.StatusBadRequest, "Invalid JSON at line %d, column %d: %s", line, col, fe.msg)
	case errors.As(err, &te):
		line, col := position(body, te.Offset)
		where := "the document"
		if te.Field != "" {
			where = fmt.Sprintf("field %q", te.Field)
		}
		return errorf(http.StatusBadRequest, "Invalid JSON at line %d, column %d: %s must be %s, not %s", line, col, where, jsonTypeName(te.Type.String()), te.Value)
	}
	return errorf(http.StatusBadRequest, "Invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "rest."), strings.HasPrefix(goType, "struct"):
		return "an object"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string":
		return "a string"
	}
	return goType
}

// position converts a byte offset into a 1-based line and column.
func position(body []byte, off int64) (line, col int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	if off < 0 {
		off = 0
	}
	before := body[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

func invalidUTF8Offset(b []byte) int64 {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return int64(i)
		}
		i += n
	}
	return int64(len(b))
}

// fieldError is a decoding error found by our own UnmarshalJSON methods;
// raw is the value they were given.
type fieldError struct {
	raw []byte
	msg string
}

// offsetIn is where sub, a slice of body, starts in body (0 if it is not one).
func offsetIn(body, sub []byte) int64 {
	start := cap(body) - cap(sub)
	if sub == nil || start < 0 || start+len(sub) > len(body) || !bytes.Equal(body[start:start+len(sub)], sub) {
		return 0
	}
	return int64(start)
}

func (e *fieldError) Error() string { return e.msg }

// configMap is a connector config as clients send it: an object whose values
// are strings. Numbers and booleans are accepted and kept as their JSON text
// ("tasks.max": 1 is "1"), as Jackson coerces them; nested objects and
// arrays are refused. In a PATCH, null removes the key (patch=true);
// elsewhere it is refused.
type configMap struct {
	values map[string]string
	nulls  []string // keys set to null
}

func (c *configMap) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &fieldError{raw: b, msg: "a connector config must be a JSON object of string values"}
		}
		return err
	}
	c.values = make(map[string]string, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0:
		case string(v) == "null":
			c.nulls = append(c.nulls, k)
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			c.values[k] = s
		case v[0] == '{' || v[0] == '[':
			at := b
			if i := bytes.Index(b, []byte(strconv.Quote(k))); i >= 0 {
				at = b[i:]
			}
			return &fieldError{raw: at, msg: fmt.Sprintf("config value of %q must be a string, not an %s", k, map[byte]string{'{': "object", '[': "array"}[v[0]])}
		default: // number, true, false
			c.values[k] = string(v)
		}
	}
	return nil
}

// offsetsRequest is the body of PATCH /connectors/{name}/offsets.
type offsetsRequest struct {
	Offsets []struct {
		Partition flatMap `json:"partition"`
		Offset    flatMap `json:"offset"`
	} `json:"offsets"`
}

// flatMap is a source partition or offset: a JSON object (or null), with
// numbers kept exact (Kafka offsets do not fit a float64).
type flatMap map[string]any

func (m *flatMap) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*m = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return &fieldError{raw: b, msg: "a partition or offset must be a JSON object"}
	}
	if v == nil {
		v = map[string]any{}
	}
	*m = v
	return nil
}

// createRequest is the body of POST /connectors.
type createRequest struct {
	Name         *string   `json:"name"`
	Config       configMap `json:"config"`
	InitialState *string   `json:"initial_state"`
}

// loggerRequest is the body of PUT /admin/loggers/{logger}.
type loggerRequest struct {
	Level *string `json:"level"`
}
