package connectorv1

import (
	"fmt"
	"time"
	"unsafe"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// The hot path: record batches are encoded straight from sdk records to
// RecordBatch's wire format, and decoded straight back, without building
// the generated messages. The bytes are the same protobuf any other
// implementation reads and writes (the tests check both directions), so a
// plugin in another language sees ordinary RecordBatch messages. Nested
// values (arrays, maps, structs, decimals, times) and schemas take the
// generated messages' path inside the fast one.

// RawBatch is a RecordBatch already in wire format. Send and receive it
// with Codec; EncodeChunks makes them and DecodeRaw reads them.
type RawBatch struct{ Data []byte }

// Codec is the gRPC codec of the connector protocol: protobuf, passing
// RawBatch bytes through as they are. Install it on both ends
// (grpc.ForceCodecV2, grpc.ForceServerCodecV2); its name is "proto", so
// peers see ordinary protobuf.
type Codec struct{}

var protoCodec = encoding.GetCodecV2("proto")

// Name is "proto".
func (Codec) Name() string { return "proto" }

// Marshal encodes v.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	if r, ok := v.(*RawBatch); ok {
		return mem.BufferSlice{mem.SliceBuffer(r.Data)}, nil
	}
	return protoCodec.Marshal(v)
}

// Unmarshal decodes data into v. A RawBatch gets a copy it owns.
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	if r, ok := v.(*RawBatch); ok {
		r.Data = data.Materialize()
		return nil
	}
	return protoCodec.Unmarshal(data, v)
}

// RecordBatch and Record field numbers (connector.proto).
const (
	batchSchemas, batchRecords = 1, 2

	recTopic, recPartition, recOffset        = 1, 2, 3
	recTsSeconds, recTsNanos, recHasTs       = 4, 5, 6
	recKey, recKeySchema, recValue, recValSc = 7, 8, 9, 10
	recHeaders, recSourcePart, recSourceOff  = 11, 12, 13

	hdrKey, hdrValue = 1, 2

	valBool, valInt8, valInt16, valInt32, valInt64 = 1, 2, 3, 4, 5
	valFloat32, valFloat64, valString, valBytes    = 6, 7, 8, 9
	valRaw                                         = 10
)

// EncodeChunks encodes recs into RawBatch chunks of about ChunkBytes (the
// Encoder's, when set) and calls emit with each, in order; an empty batch
// is one empty chunk. A chunk's bytes are its own: emit may keep them.
func (e *Encoder) EncodeChunks(recs []sdk.Record, emit func(*RawBatch) error) error {
	limit := e.ChunkBytes
	if limit <= 0 {
		limit = ChunkBytes
	}
	start := 0
	for {
		e.schemas.reset()
		buf := make([]byte, 0, limit+limit/8)
		end := start
		var err error
		for end < len(recs) && (end == start || len(buf) < limit) {
			if buf, err = e.appendRecord(buf, &recs[end]); err != nil {
				r := &recs[end]
				return fmt.Errorf("record %d (%s-%d@%d): %w", end, r.Topic, r.Partition, r.Offset, err)
			}
			end++
		}
		schemas, err := e.schemas.messages()
		if err != nil {
			return err
		}
		for _, s := range schemas {
			if buf, err = appendMessage(buf, batchSchemas, s); err != nil {
				return err
			}
		}
		if err := emit(&RawBatch{Data: buf}); err != nil {
			return err
		}
		start = end
		if start >= len(recs) {
			return nil
		}
	}
}

func appendMessage(b []byte, num protowire.Number, m proto.Message) ([]byte, error) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(proto.Size(m)))
	return proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b, m)
}

func (e *Encoder) appendRecord(b []byte, r *sdk.Record) ([]byte, error) {
	// The record's length comes first: encode it after a placeholder of the
	// largest length varint, then move it into place.
	b = protowire.AppendTag(b, batchRecords, protowire.BytesType)
	at := len(b)
	b = append(b, 0, 0, 0, 0, 0)
	body := len(b)
	if r.Topic != "" {
		b = protowire.AppendTag(b, recTopic, protowire.BytesType)
		b = protowire.AppendString(b, r.Topic)
	}
	if r.Partition != 0 {
		b = protowire.AppendTag(b, recPartition, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(r.Partition)))
	}
	if r.Offset != 0 {
		b = protowire.AppendTag(b, recOffset, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.Offset))
	}
	if !r.Timestamp.IsZero() {
		if s := r.Timestamp.Unix(); s != 0 {
			b = protowire.AppendTag(b, recTsSeconds, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(s))
		}
		if n := r.Timestamp.Nanosecond(); n != 0 {
			b = protowire.AppendTag(b, recTsNanos, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(int64(n)))
		}
		b = protowire.AppendTag(b, recHasTs, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	var err error
	if b, err = e.appendValue(b, recKey, r.Key); err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	if ref := e.schemas.ref(r.KeySchema); ref != 0 {
		b = protowire.AppendTag(b, recKeySchema, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(ref))
	}
	if b, err = e.appendValue(b, recValue, r.Value); err != nil {
		return nil, fmt.Errorf("value: %w", err)
	}
	if ref := e.schemas.ref(r.ValueSchema); ref != 0 {
		b = protowire.AppendTag(b, recValSc, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(ref))
	}
	for _, h := range r.Headers {
		n := protowire.SizeTag(hdrKey) + protowire.SizeBytes(len(h.Key))
		if h.Value != nil {
			n += protowire.SizeTag(hdrValue) + protowire.SizeBytes(len(h.Value))
		}
		b = protowire.AppendTag(b, recHeaders, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(n))
		b = protowire.AppendTag(b, hdrKey, protowire.BytesType)
		b = protowire.AppendString(b, h.Key)
		if h.Value != nil {
			b = protowire.AppendTag(b, hdrValue, protowire.BytesType)
			b = protowire.AppendBytes(b, h.Value)
		}
	}
	if r.SourcePartition != nil {
		if b, err = e.appendValue(b, recSourcePart, r.SourcePartition); err != nil {
			return nil, fmt.Errorf("source partition: %w", err)
		}
	}
	if r.SourceOffset != nil {
		if b, err = e.appendValue(b, recSourceOff, r.SourceOffset); err != nil {
			return nil, fmt.Errorf("source offset: %w", err)
		}
	}
	n := len(b) - body
	lenBytes := protowire.AppendVarint(nil, uint64(n))
	copy(b[at:], lenBytes)
	if pad := 5 - len(lenBytes); pad > 0 {
		copy(b[at+len(lenBytes):], b[body:])
		b = b[:len(b)-pad]
	}
	return b, nil
}

// appendValue appends v as the Value field num; nil appends nothing.
func (e *Encoder) appendValue(b []byte, num protowire.Number, v any) ([]byte, error) {
	var kind protowire.Number
	var n int
	switch v := v.(type) {
	case nil:
		return b, nil
	case string:
		kind, n = valString, len(v)
	case []byte:
		if v == nil {
			return b, nil
		}
		kind, n = valBytes, len(v)
	case sdk.Raw:
		if v == nil {
			return b, nil
		}
		kind, n = valRaw, len(v)
	default:
		m, err := e.schemas.value(v)
		if err != nil || m == nil {
			return b, err
		}
		return appendMessage(b, num, m)
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(protowire.SizeTag(kind)+protowire.SizeBytes(n)))
	b = protowire.AppendTag(b, kind, protowire.BytesType)
	switch v := v.(type) {
	case string:
		return protowire.AppendString(b, v), nil
	case []byte:
		return protowire.AppendBytes(b, v), nil
	case sdk.Raw:
		return protowire.AppendBytes(b, v), nil
	}
	return b, nil
}

// DecodeRaw appends the records of a RecordBatch in wire format to recs.
// Strings and byte slices of the records share data's memory: data must not
// change afterwards (RawBatch.Data from Codec is a copy of its own).
func DecodeRaw(data []byte, recs []sdk.Record) ([]sdk.Record, error) {
	// Schemas may follow the records that use them: collect both first.
	var schemaMsgs []*Schema
	var records [][]byte
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return recs, protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType || (num != batchSchemas && num != batchRecords) {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return recs, protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return recs, protowire.ParseError(n)
		}
		b = b[n:]
		if num == batchSchemas {
			s := &Schema{}
			if err := proto.Unmarshal(v, s); err != nil {
				return recs, fmt.Errorf("schema: %w", err)
			}
			schemaMsgs = append(schemaMsgs, s)
		} else {
			records = append(records, v)
		}
	}
	schemas, err := decodeSchemas(schemaMsgs)
	if err != nil {
		return recs, err
	}
	for i, body := range records {
		r, err := decodeRecord(body, schemas)
		if err != nil {
			return recs, fmt.Errorf("record %d: %w", i, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func decodeRecord(b []byte, schemas decodedSchemas) (sdk.Record, error) {
	var r sdk.Record
	var sec, nsec int64
	var hasTs bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return r, protowire.ParseError(n)
		}
		b = b[n:]
		if typ == protowire.VarintType {
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return r, protowire.ParseError(n)
			}
			b = b[n:]
			var err error
			switch num {
			case recPartition:
				r.Partition = int32(x)
			case recOffset:
				r.Offset = int64(x)
			case recTsSeconds:
				sec = int64(x)
			case recTsNanos:
				nsec = int64(int32(x))
			case recHasTs:
				hasTs = x != 0
			case recKeySchema:
				r.KeySchema, err = schemas.get(uint32(x))
			case recValSc:
				r.ValueSchema, err = schemas.get(uint32(x))
			}
			if err != nil {
				return r, err
			}
			continue
		}
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return r, protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return r, protowire.ParseError(n)
		}
		b = b[n:]
		var err error
		switch num {
		case recTopic:
			r.Topic = alias(v)
		case recKey:
			r.Key, err = decodeValueBytes(v, schemas)
		case recValue:
			r.Value, err = decodeValueBytes(v, schemas)
		case recHeaders:
			var h sdk.Header
			h, err = decodeHeader(v)
			r.Headers = append(r.Headers, h)
		case recSourcePart:
			r.SourcePartition, err = asMap(decodeValueBytes(v, schemas))
		case recSourceOff:
			r.SourceOffset, err = asMap(decodeValueBytes(v, schemas))
		}
		if err != nil {
			return r, err
		}
	}
	if hasTs {
		r.Timestamp = time.Unix(sec, nsec)
	}
	return r, nil
}

// decodeValueBytes decodes a Value message: strings and bytes here, the
// rest through the generated message.
func decodeValueBytes(b []byte, schemas decodedSchemas) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	num, typ, n := protowire.ConsumeTag(b)
	if n > 0 && typ == protowire.BytesType && (num == valString || num == valBytes || num == valRaw) {
		v, m := protowire.ConsumeBytes(b[n:])
		if m > 0 && n+m == len(b) {
			switch num {
			case valString:
				return alias(v), nil
			case valBytes:
				return v[:len(v):len(v)], nil
			default:
				return sdk.Raw(v[:len(v):len(v)]), nil
			}
		}
	}
	m := &Value{}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, err
	}
	return schemas.value(m)
}

func decodeHeader(b []byte) (sdk.Header, error) {
	var h sdk.Header
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return h, protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return h, protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return h, protowire.ParseError(n)
		}
		b = b[n:]
		switch num {
		case hdrKey:
			h.Key = alias(v)
		case hdrValue:
			h.Value = v[:len(v):len(v)]
			if h.Value == nil {
				h.Value = []byte{}
			}
		}
	}
	return h, nil
}

// alias returns b as a string without copying; b must never change.
func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
