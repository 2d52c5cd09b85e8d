package connectorv1

import (
	"fmt"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Describe describes a plugin for DescribeResponse.
func Describe(p sdk.Plugin) *Connector {
	m := &Connector{Name: p.Name, Aliases: p.Aliases, Version: p.Version, Doc: p.Doc}
	switch p.Kind {
	case sdk.KindSink:
		m.Kind = Kind_KIND_SINK
	case sdk.KindSource:
		m.Kind = Kind_KIND_SOURCE
	}
	if p.Config != nil {
		m.Config = ConfigKeys(p.Config)
	}
	return m
}

// PluginKind returns the sdk kind of m.
func (m *Connector) PluginKind() sdk.Kind {
	switch m.GetKind() {
	case Kind_KIND_SINK:
		return sdk.KindSink
	case Kind_KIND_SOURCE:
		return sdk.KindSource
	}
	return ""
}

// ConfigKeys describes every key of def. Validators are left out: they are
// functions, and Validate runs them in the plugin.
func ConfigKeys(def *sdk.ConfigDef) []*ConfigKey {
	keys := def.Keys()
	out := make([]*ConfigKey, len(keys))
	for i := range keys {
		k := &keys[i]
		m := &ConfigKey{
			Name: k.Name, Type: string(k.Type), Required: k.IsRequired(),
			Importance: string(k.Importance), Doc: k.Doc, Group: k.Group, Aliases: k.Aliases,
		}
		if !k.IsRequired() && k.Default != nil {
			m.HasDefault, m.Default = true, sdk.FormatValue(k.Default)
		}
		out[i] = m
	}
	return out
}

// ConfigDef rebuilds a config definition from its description: the same
// keys, types, defaults and docs, without validators.
func ConfigDef(keys []*ConfigKey) (*sdk.ConfigDef, error) {
	def := sdk.NewConfigDef()
	seen := map[string]bool{}
	for _, m := range keys {
		if m.Name == "" || seen[m.Name] {
			return nil, fmt.Errorf("config key %q is empty or described twice", m.Name)
		}
		seen[m.Name] = true
		k := sdk.ConfigKey{
			Name: m.Name, Type: sdk.ConfigType(m.Type), Importance: sdk.Importance(m.Importance),
			Doc: m.Doc, Group: m.Group, Aliases: m.Aliases,
		}
		switch {
		case m.Required:
			k.Default = sdk.Required
		case m.HasDefault:
			v, err := sdk.ParseValue(k.Type, m.Default)
			if err != nil {
				return nil, fmt.Errorf("default %q of config key %s: %w", m.Default, m.Name, err)
			}
			k.Default = v
		}
		def.Define(k)
	}
	return def, nil
}

// StripValidators returns def without its validators: what the host
// rebuilds from a description.
func StripValidators(def *sdk.ConfigDef) *sdk.ConfigDef {
	out := sdk.NewConfigDef()
	for _, k := range def.Keys() {
		k.Validators = nil
		out.Define(k)
	}
	return out
}

// ValidationProblems returns the problems with cfg that def finds and the
// host, holding only def's description, cannot (the messages of
// validators), plus extra: what the connector's own Validator reported.
func ValidationProblems(def *sdk.ConfigDef, cfg map[string]string, extra map[string][]string) map[string][]string {
	out := map[string][]string{}
	if def != nil {
		known := map[string]bool{}
		for _, cv := range StripValidators(def).Validate(cfg) {
			for _, msg := range cv.Errors {
				known[cv.Key.Name+"\x00"+msg] = true
			}
		}
		for _, cv := range def.Validate(cfg) {
			for _, msg := range cv.Errors {
				if !known[cv.Key.Name+"\x00"+msg] {
					out[cv.Key.Name] = append(out[cv.Key.Name], msg)
				}
			}
		}
	}
	for k, msgs := range extra {
		out[k] = append(out[k], msgs...)
	}
	return out
}
