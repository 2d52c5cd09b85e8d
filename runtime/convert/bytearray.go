package convert

import (
	"github.com/freshet-dev/freshet/connectors/sdk"
)

// byteArrayConverter is Kafka Connect's ByteArrayConverter: bytes pass
// through unchanged.
type byteArrayConverter struct{}

// ToConnect implements Converter: the bytes, with Kafka Connect's optional
// bytes schema.
func (byteArrayConverter) ToConnect(_ string, b []byte) (*sdk.Schema, any, error) {
	if b == nil {
		return sdk.OptionalBytesSchema, nil, nil
	}
	return sdk.OptionalBytesSchema, b, nil
}

// FromConnect implements Converter. It accepts []byte (and sdk.Raw) with a
// nil or BYTES schema, as Kafka Connect accepts byte[] and ByteBuffer.
func (byteArrayConverter) FromConnect(_ string, s *sdk.Schema, v any) ([]byte, error) {
	if raw, ok := v.(sdk.Raw); ok {
		return []byte(raw), nil
	}
	if s != nil && s.Type != sdk.TypeBytes {
		return nil, recordErr("convert bytearray", dataErrorf("Invalid schema type for ByteArrayConverter: %s", upperType(s.Type)))
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return x, nil
	}
	return nil, recordErr("convert bytearray", dataErrorf("ByteArrayConverter is not compatible with objects of type %T", v))
}
