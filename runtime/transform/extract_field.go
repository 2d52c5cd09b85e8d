package transform

import (
	"errors"
	"fmt"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// ExtractField replaces the key or value with one of its fields.

const (
	extractPurpose       = "field extraction"
	fieldSyntaxVersion   = "field.syntax.version"
	fieldSyntaxVersionV1 = "V1"
	fieldSyntaxVersionV2 = "V2"
)

func extractFieldDef() *sdk.ConfigDef {
	d := sdk.NewConfigDef().
		String("field", sdk.Required, "Field name to extract. With field.syntax.version=V2, a dotted path to a nested field; "+
			"quote a name that contains dots with backticks (`a.b`.c).").
		String(fieldSyntaxVersion, fieldSyntaxVersionV1, "Field syntax version: V1 reads field as one top-level name; "+
			"V2 reads it as a dotted path to a nested field (KIP-821).",
			sdk.Check(sdk.OneOf(fieldSyntaxVersionV1, fieldSyntaxVersionV2)))
	return withReplaceNull(d)
}

type extractField struct {
	side        side
	path        []string // one step with V1
	replaceNull bool
}

func newExtractField(c conf, s side) (transformer, error) {
	field := c.str("field")
	path := []string{field}
	if strings.EqualFold(c.str(fieldSyntaxVersion), fieldSyntaxVersionV2) {
		var err error
		if path, err = parsePath(field); err != nil {
			return nil, c.invalid("field", field, "%v", err)
		}
	}
	return &extractField{side: s, path: path, replaceNull: c.boolean(replaceNullKey)}, nil
}

func (t *extractField) apply(r *sdk.Record) (bool, error) {
	v, schema := t.side.get(r)
	if schema == nil {
		m, err := requireMapOrNull(v, extractPurpose)
		if err != nil {
			return false, err
		}
		var out any
		if m != nil {
			if out, err = t.fromMap(m); err != nil {
				return false, err
			}
		}
		t.side.set(r, out, nil)
		return true, nil
	}
	fs, err := t.fieldSchema(schema)
	if err != nil {
		return false, err
	}
	st, err := requireStructOrNull(v, extractPurpose)
	if err != nil {
		return false, err
	}
	var out any
	if st != nil {
		if out, err = t.fromStruct(st); err != nil {
			return false, err
		}
	}
	t.side.set(r, out, fs)
	return true, nil
}

// fieldSchema returns the schema of the field at the path.
func (t *extractField) fieldSchema(s *sdk.Schema) (*sdk.Schema, error) {
	for _, step := range t.path {
		if s.Type != sdk.TypeStruct {
			return nil, fmt.Errorf("cannot look up fields on non-struct type %s", s.Type)
		}
		i := indexOf(s, step)
		if i < 0 {
			return nil, fmt.Errorf("unknown field: %s", strings.Join(t.path, "."))
		}
		s = s.Fields[i].Schema
	}
	return s, nil
}

// fromStruct returns the value at the path; a missing or null step reads as null.
func (t *extractField) fromStruct(st *sdk.Struct) (any, error) {
	last := len(t.path) - 1
	for _, step := range t.path[:last] {
		i := indexOf(st.Schema, step)
		if i < 0 {
			return nil, nil
		}
		next, err := requireStructOrNull(fieldValue(st, i, t.replaceNull), "nested field access")
		if err != nil || next == nil {
			return nil, err
		}
		st = next
	}
	i := indexOf(st.Schema, t.path[last])
	if i < 0 {
		return nil, nil
	}
	return fieldValue(st, i, t.replaceNull), nil
}

func (t *extractField) fromMap(m map[string]any) (any, error) {
	last := len(t.path) - 1
	for _, step := range t.path[:last] {
		next, err := requireMapOrNull(m[step], "nested field access")
		if err != nil || next == nil {
			return nil, err
		}
		m = next
	}
	return m[t.path[last]], nil
}

// parsePath splits a KIP-821 (V2) field path into its steps: names separated
// by dots, where a name quoted in backticks may contain dots and a backslash
// escapes a backtick that is followed by a dot.
func parsePath(p string) ([]string, error) {
	var steps []string
	i := 0
	for i < len(p) {
		if p[i] != '`' {
			j := strings.IndexByte(p[i:], '.')
			if j < 0 {
				steps = append(steps, p[i:])
				break
			}
			steps = append(steps, p[i:i+j])
			i += j + 1
			continue
		}
		open := i
		i++
		start := i
		var name strings.Builder
		for {
			j := strings.IndexByte(p[i:], '`')
			if j < 0 {
				return nil, incompleteBacktick(p, open)
			}
			j += i
			escaped := p[j-1] == '\\'
			if j == len(p)-1 { // the closing backtick ends the path
				if escaped {
					return nil, incompleteBacktick(p, open)
				}
				name.WriteString(p[start:j])
				steps = append(steps, name.String())
				i = j + 1
				break
			}
			if p[j+1] != '.' { // a backtick inside the name
				i = j + 1
				continue
			}
			if escaped { // \` followed by a dot: a literal backtick
				name.WriteString(p[start : j-1])
				name.WriteByte('`')
				i = j + 1
				start = i
				continue
			}
			name.WriteString(p[start:j])
			steps = append(steps, name.String())
			i = j + 2
			break
		}
	}
	if p == "" || p[len(p)-1] == '.' {
		steps = append(steps, "")
	}
	return steps, nil
}

func incompleteBacktick(p string, at int) error {
	return errors.New("Incomplete backtick pair in path: [" + p + "], consider adding a backslash before backtick at position " +
		fmt.Sprint(at) + " to escape it")
}
