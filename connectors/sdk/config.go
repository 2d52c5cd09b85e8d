package sdk

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ConfigType is the type of a config value, as Kafka Connect's ConfigDef names it.
type ConfigType string

// Config types.
const (
	TypeBoolConfig     ConfigType = "BOOLEAN"
	TypeStringConfig   ConfigType = "STRING"
	TypeIntConfig      ConfigType = "INT"
	TypeLongConfig     ConfigType = "LONG"
	TypeDoubleConfig   ConfigType = "DOUBLE"
	TypeListConfig     ConfigType = "LIST"
	TypeClassConfig    ConfigType = "CLASS"
	TypePasswordConfig ConfigType = "PASSWORD"
)

// Importance is Kafka Connect's config importance.
type Importance string

// Importances.
const (
	High   Importance = "HIGH"
	Medium Importance = "MEDIUM"
	Low    Importance = "LOW"
)

// Required is the Default of a key that has none: Parse fails without it.
var Required = required{}

type required struct{}

// HiddenValue replaces secret values in every response and log line.
const HiddenValue = "[hidden]"

// Validator checks a parsed value; it returns an error that reads well after
// "Invalid value X for configuration K: ".
type ConfigValidator func(v any) error

// ConfigKey declares one config key.
type ConfigKey struct {
	Name       string
	Type       ConfigType
	Default    any // Required, nil (optional, no default), or a value of the key's Go type
	Importance Importance
	Doc        string
	Group      string
	Validators []ConfigValidator
	// Aliases are other names accepted for this key, e.g. the key of a peer
	// connector that means the same. The canonical name wins when both are set.
	Aliases []string
}

// IsRequired reports whether the key has no default.
func (k *ConfigKey) IsRequired() bool { return k.Default == Required }

// Secret reports whether values of this key must be hidden.
func (k *ConfigKey) Secret() bool { return k.Type == TypePasswordConfig }

// ConfigDef is a connector's (or worker's) config definition. It drives
// parsing, validation, REST validate responses, redaction and reference docs.
type ConfigDef struct {
	keys  []ConfigKey
	index map[string]int
}

// NewConfigDef returns an empty definition.
func NewConfigDef() *ConfigDef { return &ConfigDef{index: map[string]int{}} }

// Define adds a key; it panics if the name is defined twice, which is a
// programming error caught by any test that builds the Def.
func (d *ConfigDef) Define(k ConfigKey) *ConfigDef {
	if _, dup := d.index[k.Name]; dup {
		panic("sdk: config key defined twice: " + k.Name)
	}
	if k.Importance == "" {
		k.Importance = Medium
	}
	d.index[k.Name] = len(d.keys)
	d.keys = append(d.keys, k)
	return d
}

// Option adjusts a key defined by the typed helpers.
type KeyOption func(*ConfigKey)

// InGroup sets the key's group.
func InGroup(g string) KeyOption { return func(k *ConfigKey) { k.Group = g } }

// WithImportance sets the key's importance.
func WithImportance(i Importance) KeyOption { return func(k *ConfigKey) { k.Importance = i } }

// Alias adds accepted alternative names.
func Alias(names ...string) KeyOption {
	return func(k *ConfigKey) { k.Aliases = append(k.Aliases, names...) }
}

// Check adds validators.
func Check(v ...ConfigValidator) KeyOption {
	return func(k *ConfigKey) { k.Validators = append(k.Validators, v...) }
}

func (d *ConfigDef) add(name string, t ConfigType, def any, doc string, opts []KeyOption) *ConfigDef {
	k := ConfigKey{Name: name, Type: t, Default: def, Doc: doc}
	for _, o := range opts {
		o(&k)
	}
	return d.Define(k)
}

// String defines a STRING key.
func (d *ConfigDef) String(name string, def any, doc string, opts ...KeyOption) *ConfigDef {
	return d.add(name, TypeStringConfig, def, doc, opts)
}

// Int defines an INT key.
func (d *ConfigDef) Int(name string, def any, doc string, opts ...KeyOption) *ConfigDef {
	return d.add(name, TypeIntConfig, def, doc, opts)
}

// Long defines a LONG key.
func (d *ConfigDef) Long(name string, def any, doc string, opts ...KeyOption) *ConfigDef {
	return d.add(name, TypeLongConfig, def, doc, opts)
}

// Double defines a DOUBLE key.
func (d *ConfigDef) Double(name string, def any, doc string, opts ...KeyOption) *ConfigDef {
	return d.add(name, TypeDoubleConfig, def, doc, opts)
}

// Bool defines a BOOLEAN key.
func (d *ConfigDef) Bool(name string, def any, doc string, opts ...KeyOption) *ConfigDef {
	return d.add(name, TypeBoolConfig, def, doc, opts)
}

// List defines a LIST key (comma separated).
func (d *ConfigDef) List(name string, def any, doc string, opts ...KeyOption) *ConfigDef {
	return d.add(name, TypeListConfig, def, doc, opts)
}

// Password defines a PASSWORD key, hidden in responses and logs.
func (d *ConfigDef) Password(name string, def any, doc string, opts ...KeyOption) *ConfigDef {
	return d.add(name, TypePasswordConfig, def, doc, opts)
}

// Keys returns the definitions in declaration order.
func (d *ConfigDef) Keys() []ConfigKey { return d.keys }

// Key returns the definition of name (or of a key it aliases), or nil.
func (d *ConfigDef) Key(name string) *ConfigKey {
	if i, ok := d.index[name]; ok {
		return &d.keys[i]
	}
	for i := range d.keys {
		for _, a := range d.keys[i].Aliases {
			if a == name {
				return &d.keys[i]
			}
		}
	}
	return nil
}

// Merge returns a new definition with the keys of d followed by those of
// others; a name defined twice panics.
func (d *ConfigDef) Merge(others ...*ConfigDef) *ConfigDef {
	out := NewConfigDef()
	for _, def := range append([]*ConfigDef{d}, others...) {
		for _, k := range def.keys {
			out.Define(k)
		}
	}
	return out
}

// ConfigError is one problem with one key.
type ConfigError struct {
	Key     string
	Message string
}

func (e *ConfigError) Error() string { return e.Key + ": " + e.Message }

// ConfigErrors gathers the *ConfigErrors in err (joined ones too) into the
// per-key messages that a Validator returns; nil when there are none.
func ConfigErrors(err error) map[string][]string {
	var out map[string][]string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var ce *ConfigError
		if errors.As(err, &ce) {
			if out == nil {
				out = map[string][]string{}
			}
			out[ce.Key] = append(out[ce.Key], ce.Message)
		}
	}
	walk(err)
	return out
}

// SameTaskConfigs returns maxTasks copies of cfg (at least one): the task
// configs of a connector whose tasks all do the same work on what Kafka
// assigns them.
func SameTaskConfigs(cfg map[string]string, maxTasks int) []map[string]string {
	out := make([]map[string]string, max(maxTasks, 1))
	for i := range out {
		out[i] = maps.Clone(cfg)
	}
	return out
}

// Values holds parsed config values by canonical key name.
type Values struct {
	m map[string]any
}

// Parse parses and validates m against d. It returns every problem at once,
// joined, each a *ConfigError naming its key. Keys that d does not define are
// ignored: the runtime and other components own them.
func (d *ConfigDef) Parse(m map[string]string) (Values, error) {
	vals := Values{m: make(map[string]any, len(d.keys))}
	var errs []error
	for i := range d.keys {
		k := &d.keys[i]
		v, err := d.parseKey(k, m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		vals.m[k.Name] = v
	}
	return vals, errors.Join(errs...)
}

func (d *ConfigDef) parseKey(k *ConfigKey, m map[string]string) (any, error) {
	raw, ok := m[k.Name]
	for _, a := range k.Aliases {
		if ok {
			break
		}
		raw, ok = m[a]
	}
	if !ok {
		if k.IsRequired() {
			return nil, &ConfigError{k.Name, fmt.Sprintf("Missing required configuration %q which has no default value. %s", k.Name, k.Doc)}
		}
		return k.Default, nil
	}
	v, err := ParseValue(k.Type, raw)
	if err != nil {
		return nil, &ConfigError{k.Name, fmt.Sprintf("Invalid value %s for configuration %s: %v", display(k, raw), k.Name, err)}
	}
	for _, check := range k.Validators {
		if err := check(v); err != nil {
			return nil, &ConfigError{k.Name, fmt.Sprintf("Invalid value %s for configuration %s: %v", display(k, raw), k.Name, err)}
		}
	}
	return v, nil
}

func display(k *ConfigKey, raw string) string {
	if k.Secret() {
		return HiddenValue
	}
	return raw
}

// ParseValue parses raw as a value of type t: bool, string, int, int64,
// float64 or []string (LIST, trimmed, empty items dropped).
func ParseValue(t ConfigType, raw string) (any, error) {
	s := strings.TrimSpace(raw)
	switch t {
	case TypeBoolConfig:
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errors.New("Expected value to be either true or false")
	case TypeIntConfig:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, errors.New("Not a number of type INT")
		}
		return int(n), nil
	case TypeLongConfig:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("Not a number of type LONG")
		}
		return n, nil
	case TypeDoubleConfig:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, errors.New("Not a number of type DOUBLE")
		}
		return f, nil
	case TypeListConfig:
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case TypePasswordConfig:
		return raw, nil
	default:
		return s, nil
	}
}

// Redact returns a copy of m with the values of secret keys replaced by
// HiddenValue. Unresolved config-provider references (${file:…}) are secret
// only if their key is.
func (d *ConfigDef) Redact(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if key := d.Key(k); key != nil && key.Secret() {
			v = HiddenValue
		}
		out[k] = v
	}
	return out
}

// ConfigValue is the validation result of one key, the shape behind Kafka
// Connect's PUT /connector-plugins/{plugin}/config/validate.
type ConfigValue struct {
	Key    *ConfigKey
	Value  string // as given, or the default; HiddenValue for secrets
	Set    bool
	Errors []string
}

// Validate returns a result for every defined key, in declaration order.
func (d *ConfigDef) Validate(m map[string]string) []ConfigValue {
	out := make([]ConfigValue, 0, len(d.keys))
	for i := range d.keys {
		k := &d.keys[i]
		cv := ConfigValue{Key: k}
		if raw, ok := m[k.Name]; ok {
			cv.Value, cv.Set = display(k, raw), true
		} else if k.Default != nil && !k.IsRequired() {
			cv.Value = FormatValue(k.Default)
		}
		if _, err := d.parseKey(k, m); err != nil {
			cv.Errors = append(cv.Errors, err.(*ConfigError).Message)
		}
		out = append(out, cv)
	}
	return out
}

// FormatValue formats a parsed config value back to its string form.
func FormatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []string:
		return strings.Join(v, ",")
	case time.Duration:
		return strconv.FormatInt(v.Milliseconds(), 10)
	default:
		return fmt.Sprint(v)
	}
}

// Has reports whether key has a non-nil value (set, or defaulted).
func (v Values) Has(key string) bool { return v.m[key] != nil }

// String returns a STRING, CLASS or PASSWORD value ("" when unset).
func (v Values) String(key string) string { s, _ := v.m[key].(string); return s }

// Int returns an INT value.
func (v Values) Int(key string) int { n, _ := v.m[key].(int); return n }

// Long returns a LONG value.
func (v Values) Long(key string) int64 {
	switch n := v.m[key].(type) {
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}

// Millis returns a LONG value in milliseconds as a Duration.
func (v Values) Millis(key string) time.Duration {
	return time.Duration(v.Long(key)) * time.Millisecond
}

// Double returns a DOUBLE value.
func (v Values) Double(key string) float64 { f, _ := v.m[key].(float64); return f }

// Bool returns a BOOLEAN value.
func (v Values) Bool(key string) bool { b, _ := v.m[key].(bool); return b }

// List returns a LIST value.
func (v Values) List(key string) []string { l, _ := v.m[key].([]string); return l }

// Validators.

// AtLeast requires a number ≥ min.
func AtLeast(min float64) ConfigValidator {
	return func(v any) error {
		if f, ok := number(v); ok && f < min {
			return fmt.Errorf("Value must be at least %v", min)
		}
		return nil
	}
}

// Between requires min ≤ number ≤ max.
func Between(min, max float64) ConfigValidator {
	return func(v any) error {
		if f, ok := number(v); ok && (f < min || f > max) {
			return fmt.Errorf("Value must be between %v and %v", min, max)
		}
		return nil
	}
}

// OneOf requires a string (or each list item) to be one of allowed,
// case-insensitively.
func OneOf(allowed ...string) ConfigValidator {
	return func(v any) error {
		items, ok := v.([]string)
		if !ok {
			s, _ := v.(string)
			if s == "" && v == nil {
				return nil
			}
			items = []string{s}
		}
		for _, it := range items {
			found := false
			for _, a := range allowed {
				if strings.EqualFold(it, a) {
					found = true
				}
			}
			if !found {
				sorted := append([]string(nil), allowed...)
				sort.Strings(sorted)
				return fmt.Errorf("String must be one of: %s", strings.Join(sorted, ", "))
			}
		}
		return nil
	}
}

// NonEmpty requires a non-empty string or list.
func NonEmpty() ConfigValidator {
	return func(v any) error {
		switch v := v.(type) {
		case string:
			if v == "" {
				return errors.New("String may not be empty")
			}
		case []string:
			if len(v) == 0 {
				return errors.New("List may not be empty")
			}
		}
		return nil
	}
}

// Regexp requires a string that compiles as a regular expression.
func Regexp() ConfigValidator {
	return func(v any) error {
		if s, ok := v.(string); ok {
			if _, err := regexp.Compile(s); err != nil {
				return err
			}
		}
		return nil
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
