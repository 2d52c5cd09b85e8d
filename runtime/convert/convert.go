package convert

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Converter turns Kafka bytes into Kafka Connect data and back.
//
// Converters are safe for concurrent use. Every error that ToConnect and
// FromConnect return is classified as a record error (sdk.ClassRecord): the
// record can never be converted, whatever the retry.
type Converter interface {
	// ToConnect deserializes; nil bytes give (nil, nil, nil) for JSON (a
	// tombstone). The String and ByteArray converters return their optional
	// schema with a nil value, as Kafka Connect's do.
	ToConnect(topic string, b []byte) (*sdk.Schema, any, error)
	// FromConnect serializes. A nil schema with a nil value gives nil bytes
	// (a tombstone); JSON with a schema and a nil value writes what Kafka
	// Connect writes (the default, or a null payload). A value of type sdk.Raw
	// is written unchanged.
	FromConnect(topic string, s *sdk.Schema, v any) ([]byte, error)
}

// Kafka Connect class names of the converters.
const (
	jsonClass      = "org.apache.kafka.connect.json.JsonConverter"
	stringClass    = "org.apache.kafka.connect.storage.StringConverter"
	byteArrayClass = "org.apache.kafka.connect.converters.ByteArrayConverter"
)

// converterNames maps every accepted name to the Kafka Connect class it
// stands for: the class name, its simple name, Kafka's alias without the
// "Converter" suffix, and our short name.
var converterNames = []struct{ name, class string }{
	{jsonClass, jsonClass},
	{stringClass, stringClass},
	{byteArrayClass, byteArrayClass},
	{"json", jsonClass},
	{"string", stringClass},
	{"bytearray", byteArrayClass},
	{"JsonConverter", jsonClass},
	{"StringConverter", stringClass},
	{"ByteArrayConverter", byteArrayClass},
	{"Json", jsonClass},
	{"String", stringClass},
	{"ByteArray", byteArrayClass},
}

// Classes lists the accepted class names and aliases: Kafka Connect's class
// names first (the names that contain a dot, as GET /connector-plugins lists
// them), then the aliases.
func Classes() []string {
	out := make([]string, len(converterNames))
	for i, n := range converterNames {
		out[i] = n.name
	}
	return out
}

// New builds a converter from a class name and its props with the
// "key.converter."/"value.converter." prefix already stripped. isKey says
// which side. Unknown props are ignored, as Kafka Connect ignores them.
func New(class string, props map[string]string, isKey bool) (Converter, error) {
	for _, n := range converterNames {
		if n.name != class {
			continue
		}
		switch n.class {
		case jsonClass:
			return newJSON(props, isKey)
		case stringClass:
			return newString(props)
		default:
			return byteArrayConverter{}, nil
		}
	}
	return nil, fmt.Errorf("convert: unknown converter class %q (available: %s)", class, strings.Join(Classes(), ", "))
}

// parseBool parses a boolean config the way Kafka's ConfigDef does: trimmed,
// case-insensitive "true" or "false".
func parseBool(props map[string]string, key string, def bool) (bool, error) {
	v, ok := props[key]
	if !ok {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("invalid value %q for configuration %s: expected value to be either true or false", v, key)
}

// parseInt parses an int config the way Kafka's ConfigDef does.
func parseInt(props map[string]string, key string, def int) (int, error) {
	v, ok := props[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q for configuration %s: not a number of type INT", v, key)
	}
	return int(n), nil
}

// dataError is a conversion failure, with where in the value it happened.
type dataError struct {
	msg   string
	path  []string // innermost segment first: ".name", "[3]", `["key"]`
	cause error
}

func (e *dataError) Error() string {
	msg := e.msg
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	if len(e.path) == 0 {
		return msg
	}
	return "at " + e.where() + ": " + msg
}

func (e *dataError) Unwrap() error { return e.cause }

// where renders the path, outermost first, as customer.items[2].qty.
func (e *dataError) where() string {
	var sb strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		seg := e.path[i]
		if i == len(e.path)-1 && seg[0] == '.' {
			seg = seg[1:]
		}
		sb.WriteString(seg)
	}
	return sb.String()
}

func dataErrorf(format string, args ...any) error {
	return &dataError{msg: fmt.Sprintf(format, args...)}
}

// atField, atIndex and atKey add one step of the path to a dataError as it
// travels up; they cost nothing on success.
func atField(err error, name string) error {
	if e, ok := err.(*dataError); ok {
		e.path = append(e.path, "."+name)
	}
	return err
}

func atIndex(err error, i int) error {
	if e, ok := err.(*dataError); ok {
		e.path = append(e.path, "["+strconv.Itoa(i)+"]")
	}
	return err
}

func atKey(err error, key any) error {
	if e, ok := err.(*dataError); ok {
		if s, ok := key.(string); ok {
			e.path = append(e.path, "["+strconv.Quote(s)+"]")
		} else {
			e.path = append(e.path, fmt.Sprintf("[%v]", key))
		}
	}
	return err
}

// recordErr classifies a conversion failure as a record error.
func recordErr(op string, err error) error {
	return sdk.RecordErr(fmt.Errorf("%s: %w", op, err))
}

// upperType is the Kafka Connect Schema.Type name Kafka puts in messages
// ("INT32", "STRUCT").
func upperType(t sdk.Type) string { return strings.ToUpper(t.String()) }
