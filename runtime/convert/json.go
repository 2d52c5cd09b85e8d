package convert

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// JsonConverter config keys, as Kafka Connect names them.
const (
	jsonSchemasEnable   = "schemas.enable"
	jsonSchemasCache    = "schemas.cache.size"
	jsonSchemaContent   = "schema.content"
	jsonDecimalFormat   = "decimal.format"
	jsonReplaceNullWith = "replace.null.with.default"
)

// jsonConfig is the parsed JsonConverter configuration.
type jsonConfig struct {
	schemasEnable  bool // envelope {"schema":…,"payload":…}
	decimalNumeric bool // decimal.format=NUMERIC, else BASE64
	replaceNull    bool // replace.null.with.default
	cacheSize      int  // schemas.cache.size
	// fixedSchema is schema.content: when set (and schemas.enable), every
	// message is a bare payload of this schema.
	fixedSchema *sdk.Schema
}

// jsonConverter is Kafka Connect's JsonConverter.
type jsonConverter struct {
	cfg jsonConfig

	mu sync.Mutex
	// writeSchemas caches the JSON of schemas we write, by identity: schemas
	// are values that are never changed once a record uses them.
	writeSchemas map[*sdk.Schema][]byte
	// readSchemas caches parsed schemas by their exact JSON text, so that
	// records of one schema share one *sdk.Schema.
	readSchemas map[string]*sdk.Schema

	// lastSchema is the schema JSON read last: messages of one topic mostly
	// carry the same schema, which is then recognized by comparing bytes.
	lastSchema atomic.Pointer[schemaText]

	// sizeHint is the size of the last message written, to allocate the next
	// one's buffer once.
	sizeHint atomic.Int64
}

// schemaText is a schema and the exact JSON it was read from.
type schemaText struct {
	text   string
	schema *sdk.Schema
}

func newJSON(props map[string]string, _ bool) (*jsonConverter, error) {
	var cfg jsonConfig
	var err error
	if cfg.schemasEnable, err = parseBool(props, jsonSchemasEnable, true); err != nil {
		return nil, fmt.Errorf("convert: JsonConverter: %w", err)
	}
	if cfg.replaceNull, err = parseBool(props, jsonReplaceNullWith, true); err != nil {
		return nil, fmt.Errorf("convert: JsonConverter: %w", err)
	}
	if cfg.cacheSize, err = parseInt(props, jsonSchemasCache, 1000); err != nil {
		return nil, fmt.Errorf("convert: JsonConverter: %w", err)
	}
	if f, ok := props[jsonDecimalFormat]; ok {
		switch strings.ToUpper(strings.TrimSpace(f)) {
		case "BASE64":
		case "NUMERIC":
			cfg.decimalNumeric = true
		default:
			return nil, fmt.Errorf("convert: JsonConverter: invalid value %q for configuration %s: String must be one of (case insensitive): BASE64, NUMERIC", f, jsonDecimalFormat)
		}
	}
	c := &jsonConverter{
		cfg:          cfg,
		writeSchemas: map[*sdk.Schema][]byte{},
		readSchemas:  map[string]*sdk.Schema{},
	}
	if content := props[jsonSchemaContent]; content != "" {
		d := decoder{s: content, replaceNull: cfg.replaceNull}
		if err := d.skipDocument(); err != nil {
			return nil, fmt.Errorf("convert: JsonConverter: %s: %w", jsonSchemaContent, err)
		}
		d.i = 0
		d.ws()
		if d.i >= len(d.s) {
			return nil, fmt.Errorf("convert: JsonConverter: %s: Schema must contain 'type' field", jsonSchemaContent)
		}
		s, err := c.parseSchema(&d)
		if err != nil {
			return nil, fmt.Errorf("convert: JsonConverter: %s: %w", jsonSchemaContent, err)
		}
		c.cfg.fixedSchema = s
	}
	return c, nil
}

// ToConnect implements Converter.
func (c *jsonConverter) ToConnect(_ string, b []byte) (*sdk.Schema, any, error) {
	if b == nil {
		return nil, nil, nil
	}
	d := decoder{s: string(b), replaceNull: c.cfg.replaceNull}
	var (
		s   *sdk.Schema
		v   any
		err error
	)
	switch {
	case !c.cfg.schemasEnable:
		v, err = d.readPlain()
	case c.cfg.fixedSchema != nil:
		s = c.cfg.fixedSchema
		v, err = d.readFixed(s)
	default:
		s, v, err = c.readEnvelope(&d)
	}
	if err != nil {
		return nil, nil, recordErr("convert json", err)
	}
	return s, v, nil
}

// FromConnect implements Converter.
func (c *jsonConverter) FromConnect(_ string, s *sdk.Schema, v any) ([]byte, error) {
	if raw, ok := v.(sdk.Raw); ok {
		return []byte(raw), nil
	}
	if s == nil && v == nil {
		return nil, nil
	}
	e := encoder{
		buf:            make([]byte, 0, c.sizeHint.Load()+64),
		decimalNumeric: c.cfg.decimalNumeric,
		replaceNull:    c.cfg.replaceNull,
	}
	var err error
	if c.cfg.schemasEnable {
		e.buf = append(e.buf, `{"schema":`...)
		if s == nil {
			e.buf = append(e.buf, "null"...)
		} else if err = c.appendSchemaJSON(&e, s); err != nil {
			return nil, recordErr("convert json", err)
		}
		e.buf = append(e.buf, `,"payload":`...)
		err = e.value(s, v)
		e.buf = append(e.buf, '}')
	} else {
		err = e.value(s, v)
	}
	if err != nil {
		return nil, recordErr("convert json", err)
	}
	c.sizeHint.Store(int64(len(e.buf)))
	return e.buf, nil
}

// appendSchemaJSON appends the JSON form of s, from the cache when it can.
func (c *jsonConverter) appendSchemaJSON(e *encoder, s *sdk.Schema) error {
	c.mu.Lock()
	cached, ok := c.writeSchemas[s]
	c.mu.Unlock()
	if ok {
		e.buf = append(e.buf, cached...)
		return nil
	}
	start := len(e.buf)
	if err := e.schema(s); err != nil {
		return err
	}
	if c.cfg.cacheSize > 0 {
		js := append([]byte(nil), e.buf[start:]...)
		c.mu.Lock()
		if len(c.writeSchemas) >= c.cfg.cacheSize {
			evictOne(c.writeSchemas)
		}
		c.writeSchemas[s] = js
		c.mu.Unlock()
	}
	return nil
}

// schemaFor parses the schema JSON at d (or returns the cached one).
func (c *jsonConverter) schemaFor(d *decoder, start, end int) (*sdk.Schema, error) {
	text := d.s[start:end]
	c.mu.Lock()
	s, ok := c.readSchemas[text]
	c.mu.Unlock()
	if ok {
		c.lastSchema.Store(&schemaText{text: strings.Clone(text), schema: s})
		return s, nil
	}
	d.i = start
	s, err := c.parseSchema(d)
	if err != nil {
		return nil, err
	}
	if c.cfg.cacheSize > 0 {
		c.mu.Lock()
		if len(c.readSchemas) >= c.cfg.cacheSize {
			evictOne(c.readSchemas)
		}
		text = strings.Clone(text)
		c.readSchemas[text] = s
		c.mu.Unlock()
		c.lastSchema.Store(&schemaText{text: text, schema: s})
	}
	return s, nil
}

// evictOne drops an arbitrary entry of a full cache.
func evictOne[K comparable, V any](m map[K]V) {
	for k := range m {
		delete(m, k)
		return
	}
}

// errEnvelope is Kafka Connect's message for a message that is not an
// envelope while schemas.enable=true.
const errEnvelope = `JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.`

// readEnvelope reads {"schema":…,"payload":…} in one pass. When several
// things are wrong it reports what Kafka Connect reports, which checks the
// syntax of the whole message first, then the envelope, then the schema,
// then the payload.
func (c *jsonConverter) readEnvelope(d *decoder) (*sdk.Schema, any, error) {
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		if err := d.skipDocument(); err != nil {
			return nil, nil, err
		}
		return nil, nil, &dataError{msg: errEnvelope}
	}
	if err := d.enter(); err != nil {
		return nil, nil, err
	}
	var (
		s                     *sdk.Schema
		haveSchema, badKey    bool
		schemaErr, payloadErr error
		payloadStart          = -1
		v                     any
		decoded               bool
		decodedWith           *sdk.Schema
	)
	err := d.members(func(key string) error {
		switch key {
		case "schema":
			start := d.i
			if last := c.lastSchema.Load(); last != nil && strings.HasPrefix(d.s[start:], last.text) {
				// The same bytes as a schema we parsed: the same value.
				d.i += len(last.text)
				s, schemaErr = last.schema, nil
			} else {
				if err := d.skip(); err != nil {
					return err
				}
				end, depth := d.i, d.depth
				if d.s[start] == 'n' {
					s, schemaErr = nil, nil
				} else {
					s, schemaErr = c.schemaFor(d, start, end)
				}
				d.i, d.depth = end, depth
			}
			haveSchema = true
			return nil
		case "payload":
			payloadStart = d.i
			decoded, payloadErr = false, nil
			if !haveSchema || schemaErr != nil {
				return d.skip()
			}
			depth := d.depth
			var err error
			if s == nil {
				v, err = d.untyped()
			} else {
				v, err = d.typed(s)
			}
			if err != nil {
				var se *syntaxError
				if errors.As(err, &se) {
					return err
				}
				// Keep looking for syntax errors after it, which come first.
				payloadErr = err
				d.i, d.depth = payloadStart, depth
				return d.skip()
			}
			decoded, decodedWith = true, s
			return nil
		}
		badKey = true
		return d.skip()
	})
	if err != nil {
		return nil, nil, err
	}
	if err := d.end(); err != nil {
		return nil, nil, err
	}
	if badKey || !haveSchema || payloadStart < 0 {
		return nil, nil, &dataError{msg: errEnvelope}
	}
	if schemaErr != nil {
		return nil, nil, schemaErr
	}
	if payloadErr == nil && (!decoded || decodedWith != s) {
		// The payload came before the schema.
		d.i = payloadStart
		if s == nil {
			v, payloadErr = d.untyped()
		} else {
			v, payloadErr = d.typed(s)
		}
	}
	if payloadErr != nil {
		return nil, nil, payloadErr
	}
	return s, v, nil
}
