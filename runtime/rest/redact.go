package rest

import (
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// secretSuffixes are the names of Kafka client, converter and Schema
// Registry settings that hold secrets (PASSWORD type in their own config
// definitions), which a connector config carries under prefixes such as
// producer.override., consumer.override. or value.converter.; a key ending
// in one of them is hidden whatever its plugin declares.
var secretSuffixes = []string{
	"password",
	"sasl.jaas.config",
	"ssl.keystore.key",
	"basic.auth.user.info",
	"bearer.auth.token",
	"bearer.auth.client.secret",
	"secret.access.key",
	"client.secret",
}

// redactor hides the values of one connector's secret keys.
type redactor struct {
	secret map[string]bool // declared PASSWORD keys and their aliases
}

// redactorFor builds the redactor for a config: the common keys plus those
// of the plugin its connector.class names (if known).
func (s *Server) redactorFor(cfg map[string]string) redactor {
	r := redactor{secret: map[string]bool{}}
	defs := []*sdk.ConfigDef{worker.CommonDef()}
	if p, err := s.plugins.Lookup(cfg[worker.KeyConnectorClass]); err == nil && p.Config != nil {
		defs = append(defs, p.Config)
	}
	for _, d := range defs {
		for _, k := range d.Keys() {
			if k.Secret() {
				r.secret[k.Name] = true
				for _, a := range k.Aliases {
					r.secret[a] = true
				}
			}
		}
	}
	return r
}

// isSecret reports whether key's value must be hidden.
func (r redactor) isSecret(key string) bool {
	if r.secret[key] {
		return true
	}
	k := strings.ToLower(key)
	for _, suf := range secretSuffixes {
		if k == suf || strings.HasSuffix(k, "."+suf) || strings.HasSuffix(k, "_"+suf) {
			return true
		}
	}
	return false
}

// apply returns a copy of cfg with secret values replaced by "[hidden]".
// Config-provider references (${file:…}) of secret keys are hidden too:
// they name where a secret lives, which is worth keeping to admins only.
func (r redactor) apply(cfg map[string]string) map[string]string {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		if r.isSecret(k) {
			v = sdk.HiddenValue
		}
		out[k] = v
	}
	return out
}

// restoreHidden puts back the stored value of secret keys a client sent as
// "[hidden]": a client that GETs a config, edits it and PUTs it back must
// not overwrite a password with the placeholder.
func (r redactor) restoreHidden(cfg, stored map[string]string) {
	for k, v := range cfg {
		if v != sdk.HiddenValue || !r.isSecret(k) {
			continue
		}
		if old, ok := stored[k]; ok {
			cfg[k] = old
		}
	}
}
