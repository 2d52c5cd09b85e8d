package transform

import (
	"fmt"
	"regexp"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// conf is one plugin's parsed config: its keys are looked up and reported
// under the plugin's prefix (transforms.<alias>. or predicates.<alias>.).
type conf struct {
	v      sdk.Values
	prefix string
}

func (c conf) key(name string) string    { return c.prefix + name }
func (c conf) has(name string) bool      { return c.v.Has(c.prefix + name) }
func (c conf) str(name string) string    { return c.v.String(c.prefix + name) }
func (c conf) list(name string) []string { return c.v.List(c.prefix + name) }
func (c conf) boolean(name string) bool  { return c.v.Bool(c.prefix + name) }
func (c conf) invalid(name, value, format string, args ...any) error {
	return configErr(c.key(name), "Invalid value %s for configuration %s: %s", value, c.key(name), fmt.Sprintf(format, args...))
}

// parse parses cfg against def with every key moved under prefix, so that
// each problem names the full connector config key.
func parse(def *sdk.ConfigDef, prefix string, cfg map[string]string) (conf, error) {
	p := sdk.NewConfigDef()
	for _, k := range def.Keys() {
		k.Name = prefix + k.Name
		aliases := make([]string, len(k.Aliases))
		for i, a := range k.Aliases {
			aliases[i] = prefix + a
		}
		k.Aliases = aliases
		p.Define(k)
	}
	v, err := p.Parse(cfg)
	return conf{v: v, prefix: prefix}, err
}

// replaceNullKey is Kafka Connect's replace.null.with.default (KIP-1040).
const replaceNullKey = "replace.null.with.default"

func withReplaceNull(d *sdk.ConfigDef) *sdk.ConfigDef {
	return d.Bool(replaceNullKey, true,
		"Whether a null field whose schema has a default reads as that default (true) or as null (false).")
}

// compileFull compiles a Java regular expression that must match a whole
// string, as Java's Matcher.matches does.
func compileFull(c conf, name string) (*regexp.Regexp, error) {
	expr := c.str(name)
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return nil, c.invalid(name, expr, "%v (Go RE2 syntax: lookaround and backreferences are not supported)", err)
	}
	return re, nil
}

// regexValidator rejects a pattern Go cannot compile; it is part of the
// ConfigDef so that the REST validate endpoint reports it too.
func regexValidator() sdk.KeyOption {
	return sdk.Check(func(v any) error {
		s, _ := v.(string)
		if _, err := regexp.Compile(s); err != nil {
			return fmt.Errorf("%v (Go RE2 syntax: lookaround and backreferences are not supported)", err)
		}
		return nil
	})
}
