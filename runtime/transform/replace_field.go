package transform

import (
	"errors"
	"fmt"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// ReplaceField drops fields (exclude, include) and renames them (renames).

const replacePurpose = "field replacement"

func replaceFieldDef() *sdk.ConfigDef {
	d := sdk.NewConfigDef().
		List("exclude", []string{}, "Fields to exclude. This takes precedence over the fields to include.",
			sdk.Alias("blacklist")).
		List("include", []string{}, "Fields to include. If specified, only these fields will be used.",
			sdk.Alias("whitelist")).
		List("renames", []string{}, "Field rename mappings: a list of colon-delimited pairs, e.g. foo:bar,abc:xyz.",
			sdk.Check(func(v any) error {
				_, err := parseRenames(v.([]string))
				return err
			}))
	return withReplaceNull(d)
}

// parseRenames parses old:new pairs.
func parseRenames(pairs []string) (map[string]string, error) {
	m := make(map[string]string, len(pairs))
	var errs []error
	for _, p := range pairs {
		from, to, ok := strings.Cut(p, ":")
		if !ok || from == "" || to == "" || strings.Contains(to, ":") {
			errs = append(errs, fmt.Errorf("Invalid rename mapping: %s (want old:new, e.g. foo:bar)", p))
			continue
		}
		m[from] = to
	}
	return m, errors.Join(errs...)
}

type replaceField struct {
	side        side
	exclude     map[string]bool
	include     map[string]bool // empty: every field not excluded
	renames     map[string]string
	replaceNull bool
	cache       schemaCache[*replaceLayout]
}

// replaceLayout is what ReplaceField derives from one input schema.
type replaceLayout struct {
	schema *sdk.Schema
	src    []int // input position of each output field
}

func newReplaceField(c conf, s side) (transformer, error) {
	renames, _ := parseRenames(c.list("renames")) // validated by the Def
	t := &replaceField{
		side:        s,
		exclude:     set(c.list("exclude")),
		include:     set(c.list("include")),
		renames:     renames,
		replaceNull: c.boolean(replaceNullKey),
	}
	return t, nil
}

func set(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}

// keep reports whether a field survives exclude and include.
func (t *replaceField) keep(name string) bool {
	return !t.exclude[name] && (len(t.include) == 0 || t.include[name])
}

func (t *replaceField) renamed(name string) string {
	if to, ok := t.renames[name]; ok {
		return to
	}
	return name
}

func (t *replaceField) apply(r *sdk.Record) (bool, error) {
	v, schema := t.side.get(r)
	if v == nil {
		return true, nil
	}
	if schema == nil {
		m, err := requireMap(v, replacePurpose)
		if err != nil {
			return false, err
		}
		out := make(map[string]any, len(m))
		for k, fv := range m {
			if t.keep(k) {
				out[t.renamed(k)] = fv
			}
		}
		t.side.set(r, out, nil)
		return true, nil
	}
	st, err := requireStruct(v, replacePurpose)
	if err != nil {
		return false, err
	}
	lay, err := t.cache.get(st.Schema, t.layout)
	if err != nil {
		return false, err
	}
	vals := make([]any, len(lay.src))
	for i, j := range lay.src {
		vals[i] = fieldValue(st, j, t.replaceNull)
	}
	t.side.set(r, &sdk.Struct{Schema: lay.schema, Values: vals}, lay.schema)
	return true, nil
}

func (t *replaceField) layout(in *sdk.Schema) (*replaceLayout, error) {
	var (
		fields []sdk.Field
		src    []int
		seen   = make(map[string]string, len(in.Fields))
	)
	for i := range in.Fields {
		f := &in.Fields[i]
		if !t.keep(f.Name) {
			continue
		}
		name := t.renamed(f.Name)
		if from, dup := seen[name]; dup {
			return nil, fmt.Errorf("fields %q and %q would both be named %q; change renames or exclude one of them", from, f.Name, name)
		}
		seen[name] = f.Name
		fields = append(fields, sdk.Field{Name: name, Schema: f.Schema})
		src = append(src, i)
	}
	return &replaceLayout{schema: derivedStruct(in, fields), src: src}, nil
}
