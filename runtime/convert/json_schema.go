package convert

import (
	"strconv"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// schemaJSON is what parseSchema collects from a schema object before it
// builds the schema: scalars directly, nested schemas and the default as the
// offsets of their JSON (-1 when absent), because what they mean depends on
// the type, which may come last.
type schemaJSON struct {
	typ                 string
	hasType             bool
	optional            bool
	name, doc           string
	version             int
	params              map[string]string
	paramsNotString     bool
	def                 int
	items, keys, values int
	fields              int
}

// parseSchema reads the schema JSON at d.i (already checked for syntax) the
// way JsonConverter.asConnectSchema does, with its error messages. A JSON
// null is no schema.
func (c *jsonConverter) parseSchema(d *decoder) (*sdk.Schema, error) {
	d.ws()
	if d.s[d.i] == 'n' {
		d.i += len("null")
		return nil, nil
	}
	if d.s[d.i] != '{' {
		return nil, dataErrorf("Schema must contain 'type' field")
	}
	j := schemaJSON{def: -1, items: -1, keys: -1, values: -1, fields: -1}
	d.depth = 0
	if err := d.enter(); err != nil {
		return nil, err
	}
	err := d.members(func(key string) error {
		start := d.i
		isString := d.s[start] == '"'
		switch key {
		case "type":
			j.hasType = isString
			if isString {
				var err error
				j.typ, err = d.str()
				return err
			}
		case "optional":
			j.optional = d.s[start] == 't'
		case "name", "doc":
			if !isString {
				// Kafka ignores a name or doc that is not a string.
				if key == "name" {
					j.name = ""
				} else {
					j.doc = ""
				}
				break
			}
			s, err := d.str()
			if key == "name" {
				j.name = s
			} else {
				j.doc = s
			}
			return err
		case "version":
			j.version = 0
			if n, err := d.scanNumber(); err == nil && n.isInt {
				if v, err := strconv.ParseInt(n.text, 10, 32); err == nil {
					j.version = int(v)
				}
				return nil
			}
			d.i = start
		case "parameters":
			j.params, j.paramsNotString = nil, false
			if d.s[start] != '{' {
				break
			}
			if err := d.enter(); err != nil {
				return err
			}
			return d.members(func(pk string) error {
				if d.s[d.i] != '"' {
					j.paramsNotString = true
					return d.skip()
				}
				pv, err := d.str()
				if j.params == nil {
					j.params = map[string]string{}
				}
				j.params[pk] = pv
				return err
			})
		case "default":
			j.def = start
		case "items":
			j.items = start
		case "keys":
			j.keys = start
		case "values":
			j.values = start
		case "fields":
			j.fields = start
		}
		d.i = start
		return d.skip()
	})
	if err != nil {
		return nil, err
	}
	end := d.i
	s, err := c.buildSchema(d, &j)
	d.i = end
	return s, err
}

func (c *jsonConverter) buildSchema(d *decoder, j *schemaJSON) (*sdk.Schema, error) {
	if !j.hasType {
		return nil, dataErrorf("Schema must contain 'type' field")
	}
	s := &sdk.Schema{}
	isNull := func(at int) bool { return at < 0 || d.s[at] == 'n' }
	switch j.typ {
	case "boolean":
		s.Type = sdk.TypeBoolean
	case "int8":
		s.Type = sdk.TypeInt8
	case "int16":
		s.Type = sdk.TypeInt16
	case "int32":
		s.Type = sdk.TypeInt32
	case "int64":
		s.Type = sdk.TypeInt64
	case "float":
		s.Type = sdk.TypeFloat32
	case "double":
		s.Type = sdk.TypeFloat64
	case "bytes":
		s.Type = sdk.TypeBytes
	case "string":
		s.Type = sdk.TypeString
	case "array":
		s.Type = sdk.TypeArray
		if isNull(j.items) {
			return nil, dataErrorf("Array schema did not specify the element type")
		}
		d.i = j.items
		elem, err := c.parseSchema(d)
		if err != nil {
			return nil, err
		}
		s.Elem = elem
	case "map":
		s.Type = sdk.TypeMap
		if isNull(j.keys) {
			return nil, dataErrorf("Map schema did not specify the key type")
		}
		if isNull(j.values) {
			return nil, dataErrorf("Map schema did not specify the value type")
		}
		d.i = j.keys
		key, err := c.parseSchema(d)
		if err != nil {
			return nil, err
		}
		d.i = j.values
		val, err := c.parseSchema(d)
		if err != nil {
			return nil, err
		}
		s.Key, s.Elem = key, val
	case "struct":
		s.Type = sdk.TypeStruct
		if j.fields < 0 || d.s[j.fields] != '[' {
			return nil, dataErrorf(`Struct schema's "fields" argument is not an array.`)
		}
		var starts []int
		d.i = j.fields
		d.depth = 0
		if err := d.enter(); err != nil {
			return nil, err
		}
		if _, err := d.elements(func(int) error {
			starts = append(starts, d.i)
			return d.skip()
		}); err != nil {
			return nil, err
		}
		s.Fields = make([]sdk.Field, 0, len(starts))
		seen := make(map[string]bool, len(starts))
		for _, at := range starts {
			d.i = at
			name, ok := d.fieldName()
			if !ok {
				return nil, dataErrorf("Struct schema's field name not specified properly")
			}
			d.i = at
			fs, err := c.parseSchema(d)
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, dataErrorf("Cannot create field because of field name duplication %s", name)
			}
			seen[name] = true
			s.Fields = append(s.Fields, sdk.Field{Name: name, Index: len(s.Fields), Schema: fs})
		}
	default:
		return nil, dataErrorf("Unknown schema type: %s", j.typ)
	}
	s.Optional = j.optional
	s.Name = j.name
	s.Version = j.version
	s.Doc = j.doc
	if j.paramsNotString {
		return nil, dataErrorf("Schema parameters must have string values.")
	}
	s.Parameters = j.params
	if j.def >= 0 {
		if s.Type == sdk.TypeStruct && d.s[j.def] != 'n' {
			// Kafka Connect's SchemaBuilder rejects every struct default: the
			// default's schema is never equal to the builder.
			return nil, dataErrorf("Invalid default value: Struct schemas do not match.")
		}
		d.i = j.def
		d.depth = 0
		v, err := d.typed(s)
		if err != nil {
			return nil, err
		}
		s.Default = v
	}
	s.Index()
	return s, nil
}

// fieldName reads the "field" member of the object at d.i, if it is a
// string.
func (d *decoder) fieldName() (string, bool) {
	if d.s[d.i] != '{' {
		return "", false
	}
	var name string
	var ok bool
	d.depth = 0
	_ = d.enter()
	err := d.members(func(key string) error {
		if key == "field" {
			if ok = d.s[d.i] == '"'; ok {
				var err error
				name, err = d.str()
				return err
			}
		}
		return d.skip()
	})
	return name, ok && err == nil
}
