package kafka

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/twmb/franz-go/pkg/kgo"
)

// reader reads typed values from client properties and collects every
// problem, each an *sdk.ConfigError naming its key.
type reader struct {
	props map[string]string
	errs  []error
}

func newReader(props map[string]string) *reader { return &reader{props: props} }

func (r *reader) get(key string) (string, bool) {
	v, ok := r.props[key]
	return v, ok
}

// has reports whether any of keys is set to a non-blank value.
func (r *reader) has(keys ...string) (string, bool) {
	for _, k := range keys {
		if strings.TrimSpace(r.props[k]) != "" {
			return k, true
		}
	}
	return "", false
}

// invalid records that key's value is bad; msg says why and, where it can,
// what to write instead.
func (r *reader) invalid(key, msg string) {
	shown := r.props[key]
	if secret(key) {
		shown = sdk.HiddenValue
	}
	r.errs = append(r.errs, &sdk.ConfigError{Key: key, Message: fmt.Sprintf("Invalid value %s for configuration %s: %s", shown, key, msg)})
}

// fail records a problem about key that is not about its value alone.
func (r *reader) fail(key, msg string) {
	r.errs = append(r.errs, &sdk.ConfigError{Key: key, Message: msg})
}

func secret(key string) bool {
	return strings.Contains(key, "password") || strings.HasSuffix(key, "jaas.config") || key == "ssl.keystore.key"
}

// number reads an integer key in [min, max]; limit names whoever imposes
// the bounds when it is not Kafka.
func (r *reader) number(key string, min, max int64, limit string) (int64, bool) {
	raw, ok := r.get(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil {
		r.invalid(key, "Not a number of type LONG")
		return 0, false
	}
	if n < min || n > max {
		msg := fmt.Sprintf("Value must be between %d and %d", min, max)
		if limit != "" {
			msg += " (" + limit + ")"
		}
		r.invalid(key, msg)
		return 0, false
	}
	return n, true
}

func (r *reader) int32(key string, min, max int64, limit string) (int32, bool) {
	n, ok := r.number(key, min, max, limit)
	return int32(n), ok
}

func (r *reader) millis(key string, min, max time.Duration, limit string) (time.Duration, bool) {
	n, ok := r.number(key, min.Milliseconds(), max.Milliseconds(), limit)
	return time.Duration(n) * time.Millisecond, ok
}

func (r *reader) boolean(key string) (v, ok bool) {
	raw, ok := r.get(key)
	if !ok {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	r.invalid(key, "Expected value to be either true or false")
	return false, false
}

// oneOf reads a key whose value must be one of allowed, ignoring case, and
// returns the allowed spelling.
func (r *reader) oneOf(key string, allowed ...string) (string, bool) {
	raw, ok := r.get(key)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSpace(raw), a) {
			return a, true
		}
	}
	r.invalid(key, "String must be one of: "+strings.Join(allowed, ", "))
	return "", false
}

func (r *reader) list(key string) []string {
	v, _ := sdk.ParseValue(sdk.TypeListConfig, r.props[key])
	return v.([]string)
}

// done returns opts, or every problem found, or what franz-go itself rejects
// in the combination.
func (r *reader) done(opts []kgo.Opt) ([]kgo.Opt, error) {
	if err := errors.Join(r.errs...); err != nil {
		return nil, err
	}
	if err := kgo.ValidateOpts(opts...); err != nil {
		return nil, fmt.Errorf("kafka client options: %w", err)
	}
	return opts, nil
}

func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n <= 65535
}
