package config

import (
	"maps"
	"slices"
	"strings"
)

// EnvPrefix starts the name of every environment variable ApplyEnv reads.
const EnvPrefix = "FRESHET_"

// ApplyEnv returns a copy of props overlaid with FRESHET_<KEY> variables from
// environ (in os.Environ's "NAME=value" form); props is not modified.
//
// Because both '.' and '_' (and '-') in a key become '_' in a variable name,
// the key is found by matching, case-insensitively, in this order:
//
//  1. a key defined by WorkerDef, or already present in props, whose name
//     with '.' and '-' replaced by '_' equals <KEY>: FRESHET_BOOTSTRAP_SERVERS
//     sets bootstrap.servers, FRESHET_FRESHET_DATA_DIR sets freshet.data.dir.
//     When several keys match, a WorkerDef key wins, then the first in
//     lexical order;
//  2. a freshet.* key of WorkerDef named without its prefix:
//     FRESHET_DATA_DIR also sets freshet.data.dir;
//  3. otherwise <KEY> lower-cased with every '_' turned into '.':
//     FRESHET_PRODUCER_SASL_JAAS_CONFIG sets producer.sasl.jaas.config. A key
//     that itself holds '_' can only be set this way if it is also written
//     in the properties file (rule 1).
//
// Later variables in environ win over earlier ones that name the same key.
// Variables with an empty <KEY> are ignored.
func ApplyEnv(props map[string]string, environ []string) map[string]string {
	out := maps.Clone(props)
	if out == nil {
		out = map[string]string{}
	}
	defined := map[string]bool{}
	for _, k := range WorkerDef().Keys() {
		defined[k.Name] = true
	}
	candidates := slices.Sorted(maps.Keys(defined))
	for k := range props {
		if !defined[k] {
			candidates = append(candidates, k)
		}
	}
	// candidates: defined keys first, then present ones, each part sorted.
	slices.Sort(candidates[len(defined):])

	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || len(name) == len(EnvPrefix) {
			continue
		}
		out[envKey(strings.ToLower(name[len(EnvPrefix):]), candidates, defined)] = value
	}
	return out
}

func envKey(suffix string, candidates []string, defined map[string]bool) string {
	for _, k := range candidates {
		if envName(k) == suffix {
			return k
		}
	}
	for _, k := range candidates {
		if defined[k] && strings.HasPrefix(k, "freshet.") && envName(k) == "freshet_"+suffix {
			return k
		}
	}
	return strings.ReplaceAll(suffix, "_", ".")
}

// envName is key as it appears in a variable name, lower-cased.
func envName(key string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' {
			return '_'
		}
		return r
	}, strings.ToLower(key))
}
