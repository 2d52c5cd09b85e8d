package connectorv1

import (
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// The Value message written and read by hand for the kinds that records with
// schemas are made of (scalars, strings, bytes, arrays, structs, times), the
// same bytes the generated code writes; maps and decimals go through the
// generated messages. A struct value from a JSON or Avro converter crosses
// without an allocation per field on the worker's side.

// Value field numbers past the scalars (connector.proto).
const (
	valArray, valStruct, valTime = 11, 14, 16
	listValues                   = 1
	structSchema, structValues   = 1, 2
	timeSeconds, timeNanos       = 1, 2
)

// appendNested appends field num holding the message that body appends.
// For a peer of version 3 (Packed), the length takes three bytes whatever
// it is (a valid, padded varint), so that no body is moved to fit it.
func (e *Encoder) appendNested(b []byte, num protowire.Number, body func([]byte) ([]byte, error)) ([]byte, error) {
	b = appendTag(b, num, protowire.BytesType)
	at := len(b)
	room := 1 // the length, when under 128 bytes
	if e.Packed {
		room = paddedLen
	}
	b = append(b, make([]byte, room)...)
	b, err := body(b)
	if err != nil {
		return b, err
	}
	n := len(b) - at - room
	if e.Packed && n < 1<<(7*paddedLen) {
		putPadded(b[at:at+paddedLen], n)
		return b, nil
	}
	if !e.Packed && n < 1<<7 {
		b[at] = byte(n)
		return b, nil
	}
	// Make room for a longer length.
	extra := protowire.SizeVarint(uint64(n)) - room
	b = append(b, make([]byte, extra)...)
	copy(b[at+room+extra:], b[at+room:len(b)-extra])
	protowire.AppendVarint(b[:at], uint64(n))
	return b, nil
}

// paddedLen is the size of a padded length: up to 2 MiB.
const paddedLen = 3

// putPadded writes n < 1<<(7*len(b)) into b as a varint of len(b) bytes.
func putPadded(b []byte, n int) {
	for i := range len(b) - 1 {
		b[i] = byte(n) | 0x80
		n >>= 7
	}
	b[len(b)-1] = byte(n)
}

// appendValueFields appends the fields of v's Value message: nothing for nil.
func (e *Encoder) appendValueFields(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return b, nil
	case bool:
		x := uint64(0)
		if v {
			x = 1
		}
		return appendVarint(appendTag(b, valBool, protowire.VarintType), x), nil
	case int8:
		return appendVarint(appendTag(b, valInt8, protowire.VarintType), protowire.EncodeZigZag(int64(v))), nil
	case int16:
		return appendVarint(appendTag(b, valInt16, protowire.VarintType), protowire.EncodeZigZag(int64(v))), nil
	case int32:
		return appendVarint(appendTag(b, valInt32, protowire.VarintType), protowire.EncodeZigZag(int64(v))), nil
	case int64:
		return appendVarint(appendTag(b, valInt64, protowire.VarintType), protowire.EncodeZigZag(v)), nil
	case int:
		return appendVarint(appendTag(b, valInt64, protowire.VarintType), protowire.EncodeZigZag(int64(v))), nil
	case float32:
		return protowire.AppendFixed32(appendTag(b, valFloat32, protowire.Fixed32Type), math.Float32bits(v)), nil
	case float64:
		return protowire.AppendFixed64(appendTag(b, valFloat64, protowire.Fixed64Type), math.Float64bits(v)), nil
	case string:
		return appendString(appendTag(b, valString, protowire.BytesType), v), nil
	case []byte:
		if v == nil {
			return b, nil
		}
		return appendBytes(appendTag(b, valBytes, protowire.BytesType), v), nil
	case sdk.Raw:
		if v == nil {
			return b, nil
		}
		return appendBytes(appendTag(b, valRaw, protowire.BytesType), v), nil
	case []any:
		return e.appendNested(b, valArray, func(b []byte) ([]byte, error) {
			var err error
			for i, item := range v {
				if b, err = e.appendNested(b, listValues, func(b []byte) ([]byte, error) { return e.appendValueFields(b, item) }); err != nil {
					return b, fmt.Errorf("item %d: %w", i, err)
				}
			}
			return b, nil
		})
	case *sdk.Struct:
		if v == nil {
			return b, nil
		}
		if v.Schema == nil {
			return b, fmt.Errorf("struct value without a schema")
		}
		return e.appendNested(b, valStruct, func(b []byte) ([]byte, error) {
			if ref := e.schemas.ref(v.Schema); ref != 0 {
				b = appendVarint(appendTag(b, structSchema, protowire.VarintType), uint64(ref))
			}
			var err error
			for i, f := range v.Values {
				if b, err = e.appendNested(b, structValues, func(b []byte) ([]byte, error) { return e.appendValueFields(b, f) }); err != nil {
					name := fmt.Sprint(i)
					if i < len(v.Schema.Fields) {
						name = v.Schema.Fields[i].Name
					}
					return b, fmt.Errorf("field %s: %w", name, err)
				}
			}
			return b, nil
		})
	case time.Time:
		return e.appendNested(b, valTime, func(b []byte) ([]byte, error) {
			if s := v.Unix(); s != 0 {
				b = appendVarint(appendTag(b, timeSeconds, protowire.VarintType), uint64(s))
			}
			if n := v.Nanosecond(); n != 0 {
				b = appendVarint(appendTag(b, timeNanos, protowire.VarintType), uint64(n))
			}
			return b, nil
		})
	}
	// Maps and decimals: the generated message's fields.
	m, err := e.schemas.value(v)
	if err != nil || m == nil {
		return b, err
	}
	return proto.MarshalOptions{}.MarshalAppend(b, m)
}

// decodeValueFields decodes a Value message written as appendValueFields
// writes it; anything else goes through the generated message.
func decodeValueFields(b []byte, schemas decodedSchemas) (any, error) {
	return (*boxes)(nil).value(b, schemas)
}

// value is decodeValueFields, with the strings, int64s and structs it
// decodes kept in bx (nil: each on the heap).
func (bx *boxes) value(b []byte, schemas decodedSchemas) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if v, ok, err := bx.fast(b, schemas); ok || err != nil {
		return v, err
	}
	m := &Value{}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, err
	}
	return schemas.value(m)
}

// fast decodes b when it is one field of a kind it knows;
// ok=false sends the caller to the generated message.
func (bx *boxes) fast(b []byte, schemas decodedSchemas) (v any, ok bool, err error) {
	num, typ, n := consumeTag(b)
	if n < 0 {
		return nil, false, nil
	}
	b = b[n:]
	switch typ {
	case protowire.VarintType:
		x, n := consumeVarint(b)
		if n != len(b) {
			return nil, false, nil
		}
		switch num {
		case valBool:
			return x != 0, true, nil
		case valInt8:
			return int8(protowire.DecodeZigZag(x & math.MaxUint32)), true, nil
		case valInt16:
			return int16(protowire.DecodeZigZag(x & math.MaxUint32)), true, nil
		case valInt32:
			return int32(protowire.DecodeZigZag(x & math.MaxUint32)), true, nil
		case valInt64:
			return bx.int64(protowire.DecodeZigZag(x)), true, nil
		}
	case protowire.Fixed32Type:
		x, n := protowire.ConsumeFixed32(b)
		if num == valFloat32 && n == len(b) {
			return math.Float32frombits(x), true, nil
		}
	case protowire.Fixed64Type:
		x, n := protowire.ConsumeFixed64(b)
		if num == valFloat64 && n == len(b) {
			return math.Float64frombits(x), true, nil
		}
	case protowire.BytesType:
		body, n := consumeBytes(b)
		if n != len(b) {
			return nil, false, nil
		}
		switch num {
		case valString:
			return bx.string(alias(body)), true, nil
		case valBytes:
			return body[:len(body):len(body)], true, nil
		case valRaw:
			return sdk.Raw(body[:len(body):len(body)]), true, nil
		case valArray:
			out := []any{}
			err := eachField(body, func(num protowire.Number, item []byte) error {
				if num != listValues {
					return nil
				}
				v, err := bx.value(item, schemas)
				out = append(out, v)
				return err
			})
			if err == errBadField {
				return nil, false, nil
			}
			return out, true, err
		case valStruct:
			var ref uint64
			var values []any
			err := eachField(body, func(num protowire.Number, f []byte) error {
				switch num {
				case structSchema:
					var n int
					if ref, n = consumeVarint(f); n != len(f) {
						return errBadField
					}
					if s, _ := schemas.get(uint32(ref)); s != nil && values == nil {
						values = bx.fields(len(s.Fields)) // the schema comes first
					}
				case structValues:
					v, err := bx.value(f, schemas)
					values = append(values, v)
					return err
				}
				return nil
			})
			if err == errBadField {
				return nil, false, nil
			}
			if err != nil {
				return nil, true, err
			}
			s, err := schemas.get(uint32(ref))
			if err == nil && s == nil {
				err = fmt.Errorf("struct value without a schema")
			}
			if values == nil {
				values = []any{}
			}
			return bx.structValue(s, values), true, err
		case valTime:
			var sec, nsec uint64
			err := eachField(body, func(num protowire.Number, f []byte) error {
				var n int
				switch num {
				case timeSeconds:
					sec, n = consumeVarint(f)
				case timeNanos:
					nsec, n = consumeVarint(f)
				default:
					return nil
				}
				if n != len(f) {
					return errBadField
				}
				return nil
			})
			if err != nil {
				return nil, false, nil
			}
			return time.Unix(int64(sec), int64(int32(nsec))).UTC(), true, nil
		}
	}
	return nil, false, nil
}

var errBadField = fmt.Errorf("field of an unexpected wire type")

// eachField calls f with the number and bytes of each field of a message;
// varint fields come as their varint bytes, length-delimited ones as their
// contents. Any other wire type is errBadField.
func eachField(b []byte, f func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return errBadField
		}
		b = b[n:]
		var v []byte
		switch typ {
		case protowire.VarintType:
			_, m := consumeVarint(b)
			if m < 0 {
				return errBadField
			}
			v, n = b[:m], m
		case protowire.BytesType:
			if v, n = consumeBytes(b); n < 0 {
				return errBadField
			}
		default:
			return errBadField
		}
		b = b[n:]
		if err := f(num, v); err != nil {
			return err
		}
	}
	return nil
}
