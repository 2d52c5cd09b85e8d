package transform

import (
	"fmt"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Plugin describes one transform or predicate class, for
// GET /connector-plugins?connectorsOnly=false.
type Plugin struct {
	Class string         // the Java class name, e.g. org.apache.kafka.connect.transforms.RegexRouter
	Type  string         // "transformation" or "predicate", as Kafka Connect reports it
	Def   *sdk.ConfigDef // the plugin's keys, without the transforms.<alias>. prefix
}

// Plugin types, as Kafka Connect's REST API spells them.
const (
	TypeTransformation = "transformation"
	TypePredicate      = "predicate"
)

const (
	transformsPkg = "org.apache.kafka.connect.transforms."
	predicatesPkg = transformsPkg + "predicates."
)

// transformer is one configured transform. apply changes r in place and
// reports keep=false to drop the record.
type transformer interface {
	apply(r *sdk.Record) (keep bool, err error)
}

// predicate is one configured predicate.
type predicate interface {
	test(r *sdk.Record) bool
}

// spec is one plugin class: its config definition and constructor.
type spec struct {
	class        string
	kind         string
	def          func() *sdk.ConfigDef
	newTransform func(c conf) (transformer, error)
	newPredicate func(c conf) (predicate, error)
}

// catalog lists the built-in plugins. It is a function, not a package
// variable, so that nothing is shared between callers.
func catalog() []spec {
	tr := func(class string, def func() *sdk.ConfigDef, f func(c conf) (transformer, error)) spec {
		return spec{class: transformsPkg + class, kind: TypeTransformation, def: def, newTransform: f}
	}
	pr := func(class string, def func() *sdk.ConfigDef, f func(c conf) (predicate, error)) spec {
		return spec{class: predicatesPkg + class, kind: TypePredicate, def: def, newPredicate: f}
	}
	return []spec{
		tr("InsertField$Key", insertFieldDef, func(c conf) (transformer, error) { return newInsertField(c, keySide) }),
		tr("InsertField$Value", insertFieldDef, func(c conf) (transformer, error) { return newInsertField(c, valueSide) }),
		tr("ReplaceField$Key", replaceFieldDef, func(c conf) (transformer, error) { return newReplaceField(c, keySide) }),
		tr("ReplaceField$Value", replaceFieldDef, func(c conf) (transformer, error) { return newReplaceField(c, valueSide) }),
		tr("ExtractField$Key", extractFieldDef, func(c conf) (transformer, error) { return newExtractField(c, keySide) }),
		tr("ExtractField$Value", extractFieldDef, func(c conf) (transformer, error) { return newExtractField(c, valueSide) }),
		tr("ValueToKey", valueToKeyDef, newValueToKey),
		tr("TimestampRouter", timestampRouterDef, newTimestampRouter),
		tr("RegexRouter", regexRouterDef, newRegexRouter),
		tr("Filter", sdk.NewConfigDef, func(conf) (transformer, error) { return filter{}, nil }),
		pr("TopicNameMatches", topicNameMatchesDef, newTopicNameMatches),
		pr("HasHeaderKey", hasHeaderKeyDef, newHasHeaderKey),
		pr("RecordIsTombstone", sdk.NewConfigDef, func(conf) (predicate, error) { return recordIsTombstone{}, nil }),
	}
}

// Plugins lists the transform and predicate classes, transforms first.
func Plugins() []Plugin {
	specs := catalog()
	out := make([]Plugin, len(specs))
	for i, s := range specs {
		out[i] = Plugin{Class: s.class, Type: s.kind, Def: s.def()}
	}
	return out
}

// shortName is the part of a class name after its package: InsertField$Value.
func shortName(class string) string {
	return class[strings.LastIndexByte(class, '.')+1:]
}

// lookup resolves a configured class name of the given kind. The error is a
// message to follow "Invalid value X for configuration K: ".
func lookup(kind, name string) (spec, error) {
	specs := catalog()
	for _, s := range specs {
		if name == s.class || name == shortName(s.class) {
			if s.kind != kind {
				fix := "list it in transforms instead"
				if s.kind == TypePredicate {
					fix = "declare it in predicates and name that alias in transforms.<alias>.predicate"
				}
				return spec{}, fmt.Errorf("%s is a %s, not a %s: %s", s.class, s.kind, kind, fix)
			}
			return s, nil
		}
	}
	// InsertField without $Key or $Value is Kafka Connect's abstract base class.
	var variants []string
	for _, s := range specs {
		base, _, nested := strings.Cut(s.class, "$")
		if nested && (name == base || name == shortName(base)) {
			variants = append(variants, s.class)
		}
	}
	if len(variants) > 0 {
		return spec{}, fmt.Errorf("%s%s is abstract and cannot be created. Did you mean %s?",
			strings.ToUpper(kind[:1]), kind[1:], strings.Join(variants, ", "))
	}
	var known []string
	for _, s := range specs {
		if s.kind == kind {
			known = append(known, shortName(s.class))
		}
	}
	return spec{}, fmt.Errorf("Class %s could not be found. Use one of %s (short names, or Java class names under %s)",
		name, strings.Join(known, ", "), pkgOf(kind))
}

func pkgOf(kind string) string {
	if kind == TypePredicate {
		return strings.TrimSuffix(predicatesPkg, ".")
	}
	return strings.TrimSuffix(transformsPkg, ".")
}
