package transform

import (
	"errors"
	"fmt"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Connector config keys of the chain itself.
const (
	transformsKey = "transforms"
	predicatesKey = "predicates"
	predicateKey  = "predicate" // transforms.<alias>.predicate
	negateKey     = "negate"    // transforms.<alias>.negate
	typeKey       = "type"
)

// Chain is a connector's transform chain, built once from the connector
// config. It is safe for concurrent use.
type Chain struct {
	steps []step
}

// step is one transform of the chain and the predicate that guards it.
type step struct {
	alias  string
	class  string
	t      transformer
	pred   predicate // nil: always apply
	negate bool
}

// NewChain parses transforms, transforms.<alias>.type, transforms.<alias>.*,
// transforms.<alias>.predicate, transforms.<alias>.negate, predicates,
// predicates.<alias>.type and predicates.<alias>.* from a connector config.
// Every problem is returned at once (errors.Join of *sdk.ConfigError), each
// naming the full config key and what to do about it. Keys of aliases that
// are not listed in transforms or predicates are ignored, as Kafka Connect
// ignores them.
func NewChain(cfg map[string]string) (*Chain, error) {
	var errs []error
	tAliases, err := aliases(cfg, transformsKey)
	errs = flatten(errs, err)
	pAliases, err := aliases(cfg, predicatesKey)
	errs = flatten(errs, err)

	declared := make(map[string]bool, len(pAliases))
	preds := make(map[string]predicate, len(pAliases))
	for _, a := range pAliases {
		declared[a] = true
		p, err := newPredicate(cfg, a)
		if err != nil {
			errs = flatten(errs, err)
			continue
		}
		preds[a] = p
	}

	c := &Chain{steps: make([]step, 0, len(tAliases))}
	for _, a := range tAliases {
		s, err := newStep(cfg, a, declared, preds)
		if err != nil {
			errs = flatten(errs, err)
			continue
		}
		c.steps = append(c.steps, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// aliases parses the list under key and rejects duplicates, as Kafka
// Connect does ("Duplicate alias provided.").
func aliases(cfg map[string]string, key string) ([]string, error) {
	raw, ok := cfg[key]
	if !ok {
		return nil, nil
	}
	v, _ := sdk.ParseValue(sdk.TypeListConfig, raw)
	list, _ := v.([]string)
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	var errs []error
	for _, a := range list {
		if seen[a] {
			errs = append(errs, configErr(key,
				"Invalid value %s for configuration %s: Duplicate alias %q provided. List each alias once.", raw, key, a))
			continue
		}
		seen[a] = true
		out = append(out, a)
	}
	return out, errors.Join(errs...)
}

// newStep builds the transform named alias and attaches its predicate.
func newStep(cfg map[string]string, alias string, declared map[string]bool, preds map[string]predicate) (step, error) {
	prefix := transformsKey + "." + alias + "."
	var errs []error
	sp, err := resolve(cfg, prefix, TypeTransformation, "org.apache.kafka.connect.transforms.InsertField$Value")
	errs = flatten(errs, err)

	s := step{alias: alias, class: sp.class}
	predKey, negKey := prefix+predicateKey, prefix+negateKey
	predAlias := strings.TrimSpace(cfg[predKey])
	if raw, ok := cfg[negKey]; ok {
		v, err := sdk.ParseValue(sdk.TypeBoolConfig, raw)
		switch {
		case err != nil:
			errs = append(errs, configErr(negKey, "Invalid value %s for configuration %s: %v", raw, negKey, err))
		case predAlias == "":
			errs = append(errs, configErr(negKey,
				"Config '%s' was provided but there is no config '%s' defining a predicate to be negated. Set %s or remove %s.",
				negKey, predKey, predKey, negKey))
		default:
			s.negate = v.(bool)
		}
	}
	if predAlias != "" && !declared[predAlias] {
		errs = append(errs, configErr(predKey,
			"Invalid value %s for configuration %s: predicate %q is not listed in %s. Add it to %s and set %s.%s.type.",
			predAlias, predKey, predAlias, predicatesKey, predicatesKey, predicatesKey, predAlias))
	} else if predAlias != "" {
		s.pred = preds[predAlias] // a declared predicate that failed to parse has reported its own errors
	}

	if sp.newTransform != nil {
		c, err := parse(sp.def(), prefix, cfg)
		if err != nil {
			errs = flatten(errs, err)
		} else if s.t, err = sp.newTransform(c); err != nil {
			errs = flatten(errs, err)
		}
	}
	return s, errors.Join(errs...)
}

// newPredicate builds the predicate named alias.
func newPredicate(cfg map[string]string, alias string) (predicate, error) {
	prefix := predicatesKey + "." + alias + "."
	sp, err := resolve(cfg, prefix, TypePredicate, "org.apache.kafka.connect.transforms.predicates.TopicNameMatches")
	if err != nil {
		return nil, err
	}
	c, err := parse(sp.def(), prefix, cfg)
	if err != nil {
		return nil, err
	}
	return sp.newPredicate(c)
}

// resolve looks up the class named by <prefix>type.
func resolve(cfg map[string]string, prefix, kind, example string) (spec, error) {
	key := prefix + typeKey
	name, ok := cfg[key]
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return spec{}, configErr(key, "Missing required configuration %q which has no default value. Set it to a %s class, e.g. %s.",
			key, kind, example)
	}
	sp, err := lookup(kind, name)
	if err != nil {
		return spec{}, configErr(key, "Invalid value %s for configuration %s: %v", name, key, err)
	}
	return sp, nil
}

// Len reports the number of transforms; 0 means the caller can skip Apply.
func (c *Chain) Len() int {
	if c == nil {
		return 0
	}
	return len(c.steps)
}

// Apply runs the chain on r in place. keep=false means a transform dropped
// the record (Filter): the rest of the chain is skipped. On failure the error
// is an *Error naming the transform's alias and class, classified
// sdk.ClassRecord unless the cause carries a class already; r may then hold
// the output of the transforms before the failing one, so a caller that
// needs the original (the dead-letter queue) keeps its own copy.
func (c *Chain) Apply(r *sdk.Record) (keep bool, err error) {
	if c == nil {
		return true, nil
	}
	for i := range c.steps {
		s := &c.steps[i]
		if s.pred != nil && s.pred.test(r) == s.negate {
			continue
		}
		if keep, err := s.run(r); !keep || err != nil {
			return false, err
		}
	}
	return true, nil
}

// run applies the step's transform. A panic on a malformed record (a Struct
// whose Values do not fit its Schema) becomes a record error, not a crash of
// the worker.
func (s *step) run(r *sdk.Record) (keep bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			keep, err = false, newError(s.alias, s.class, fmt.Errorf("panic: %v", p))
		}
	}()
	keep, err = s.t.apply(r)
	if err != nil {
		return false, newError(s.alias, s.class, err)
	}
	return keep, nil
}
