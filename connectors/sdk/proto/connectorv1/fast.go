package connectorv1

import (
	"fmt"
	"math"
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
	batchSchemas, batchRecords, batchShared, batchPacked = 1, 2, 3, 4

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
		buf, end, err := e.AppendChunk(make([]byte, 0, limit+limit/8), recs, start, limit)
		if err != nil {
			return err
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

// AppendChunk appends to buf one chunk in RecordBatch wire format: the
// records of recs from start on, until the chunk holds at least one record
// and about limit bytes, followed by the schemas they use. It returns the
// extended buffer and the index of the first record it left out. buf grows
// as append does when it is too small.
func (e *Encoder) AppendChunk(buf []byte, recs []sdk.Record, start, limit int) ([]byte, int, error) {
	e.schemas.reset()
	base := len(buf)
	end := start
	var err error
	for end < len(recs) && (end == start || len(buf)-base < limit) {
		if buf, err = e.appendRecord(buf, &recs[end]); err != nil {
			r := &recs[end]
			return buf, end, fmt.Errorf("record %d (%s-%d@%d): %w", end, r.Topic, r.Partition, r.Offset, err)
		}
		end++
	}
	schemas, err := e.schemas.messages()
	if err != nil {
		return buf, end, err
	}
	for _, s := range schemas {
		if buf, err = appendMessage(buf, batchSchemas, s); err != nil {
			return buf, end, err
		}
	}
	return buf, end, nil
}

// SharedRef is a Put chunk (protocol version 2) that says its bytes are in
// the shared memory region, at offset, n long: RecordBatch.shared alone.
func SharedRef(offset, n int) *RawBatch {
	var body []byte
	if offset != 0 {
		body = appendTag(body, 1, protowire.VarintType)
		body = appendVarint(body, uint64(offset))
	}
	if n != 0 {
		body = appendTag(body, 2, protowire.VarintType)
		body = appendVarint(body, uint64(n))
	}
	b := appendTag(make([]byte, 0, len(body)+2), batchShared, protowire.BytesType)
	return &RawBatch{Data: appendBytes(b, body)}
}

// ParseSharedRef reports whether chunk is a reference to the shared memory
// region (it carries RecordBatch.shared) and where its bytes are. A chunk
// carries either records and schemas or a reference, never both.
func ParseSharedRef(chunk []byte) (offset, n int, ok bool, err error) {
	num, typ, m := consumeTag(chunk)
	if m < 0 || num != batchShared || typ != protowire.BytesType {
		return 0, 0, false, nil
	}
	body, m2 := consumeBytes(chunk[m:])
	if m2 < 0 {
		return 0, 0, true, protowire.ParseError(m2)
	}
	if m+m2 != len(chunk) {
		return 0, 0, true, fmt.Errorf("a shared chunk reference carries other fields")
	}
	var off, length uint64
	for len(body) > 0 {
		f, t, k := consumeTag(body)
		if k < 0 {
			return 0, 0, true, protowire.ParseError(k)
		}
		body = body[k:]
		if t != protowire.VarintType {
			if k = protowire.ConsumeFieldValue(f, t, body); k < 0 {
				return 0, 0, true, protowire.ParseError(k)
			}
			body = body[k:]
			continue
		}
		x, k := consumeVarint(body)
		if k < 0 {
			return 0, 0, true, protowire.ParseError(k)
		}
		body = body[k:]
		switch f {
		case 1:
			off = x
		case 2:
			length = x
		}
	}
	if off > math.MaxInt32 || length > math.MaxInt32 {
		return 0, 0, true, fmt.Errorf("a shared chunk reference is out of range (%d bytes at %d)", length, off)
	}
	return int(off), int(length), true, nil
}

func appendMessage(b []byte, num protowire.Number, m proto.Message) ([]byte, error) {
	b = appendTag(b, num, protowire.BytesType)
	b = appendVarint(b, uint64(proto.Size(m)))
	return proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b, m)
}

func (e *Encoder) appendRecord(b []byte, r *sdk.Record) ([]byte, error) {
	if e.Packed {
		if b, ok := e.appendPacked(b, r); ok {
			return b, nil
		}
	}
	// The record's length comes first: encode it after a placeholder of the
	// largest length varint, then move it into place.
	b = appendTag(b, batchRecords, protowire.BytesType)
	if n, ok := e.flatSize(r); ok {
		// Strings and bytes only: the length is known, and the body is
		// written once, in place.
		b = appendVarint(b, uint64(n))
		return e.appendBody(b, r)
	}
	at := len(b)
	b = append(b, 0, 0, 0, 0, 0)
	body := len(b)
	b, err := e.appendBody(b, r)
	if err != nil {
		return nil, err
	}
	n := len(b) - body
	if e.Packed {
		putPadded(b[at:body], n) // a version 3 peer reads it padded: nothing moves
		return b, nil
	}
	var lb [10]byte // the longest varint
	lenBytes := appendVarint(lb[:0], uint64(n))
	copy(b[at:], lenBytes)
	if pad := 5 - len(lenBytes); pad > 0 {
		copy(b[at+len(lenBytes):], b[body:])
		b = b[:len(b)-pad]
	}
	return b, nil
}

// flatSize returns the size of r's Record body when it has no source
// position and only nil, string, []byte or Raw keys and values, with or
// without schemas: the common shape, whose size is known without encoding
// it. It numbers r's schemas as appendBody would.
func (e *Encoder) flatSize(r *sdk.Record) (int, bool) {
	if r.SourcePartition != nil || r.SourceOffset != nil {
		return 0, false
	}
	n := 0
	if r.Topic != "" {
		n += protowire.SizeTag(recTopic) + protowire.SizeBytes(len(r.Topic))
	}
	if r.Partition != 0 {
		n += protowire.SizeTag(recPartition) + protowire.SizeVarint(uint64(int64(r.Partition)))
	}
	if r.Offset != 0 {
		n += protowire.SizeTag(recOffset) + protowire.SizeVarint(uint64(r.Offset))
	}
	if !r.Timestamp.IsZero() {
		if s := r.Timestamp.Unix(); s != 0 {
			n += protowire.SizeTag(recTsSeconds) + protowire.SizeVarint(uint64(s))
		}
		if ns := r.Timestamp.Nanosecond(); ns != 0 {
			n += protowire.SizeTag(recTsNanos) + protowire.SizeVarint(uint64(int64(ns)))
		}
		n += protowire.SizeTag(recHasTs) + 1
	}
	for _, v := range [2]struct {
		num protowire.Number
		v   any
	}{{recKey, r.Key}, {recValue, r.Value}} {
		m, ok := flatValueSize(v.v)
		if !ok {
			return 0, false
		}
		if m >= 0 {
			n += protowire.SizeTag(v.num) + protowire.SizeBytes(m)
		}
	}
	// Flat values use no schema of their own, so these are numbered in
	// the order appendBody numbers them.
	if ref := e.schemas.ref(r.KeySchema); ref != 0 {
		n += protowire.SizeTag(recKeySchema) + protowire.SizeVarint(uint64(ref))
	}
	if ref := e.schemas.ref(r.ValueSchema); ref != 0 {
		n += protowire.SizeTag(recValSc) + protowire.SizeVarint(uint64(ref))
	}
	for _, h := range r.Headers {
		m := protowire.SizeTag(hdrKey) + protowire.SizeBytes(len(h.Key))
		if h.Value != nil {
			m += protowire.SizeTag(hdrValue) + protowire.SizeBytes(len(h.Value))
		}
		n += protowire.SizeTag(recHeaders) + protowire.SizeBytes(m)
	}
	return n, true
}

// flatValueSize returns the size of v's Value message, -1 when v is not
// sent (nil), and false when v is not a string, []byte or Raw.
func flatValueSize(v any) (int, bool) {
	switch v := v.(type) {
	case nil:
		return -1, true
	case string:
		return protowire.SizeTag(valString) + protowire.SizeBytes(len(v)), true
	case []byte:
		if v == nil {
			return -1, true
		}
		return protowire.SizeTag(valBytes) + protowire.SizeBytes(len(v)), true
	case sdk.Raw:
		if v == nil {
			return -1, true
		}
		return protowire.SizeTag(valRaw) + protowire.SizeBytes(len(v)), true
	}
	return 0, false
}

// appendBody appends the fields of r's Record message.
func (e *Encoder) appendBody(b []byte, r *sdk.Record) ([]byte, error) {
	if r.Topic != "" {
		b = appendTag(b, recTopic, protowire.BytesType)
		b = appendString(b, r.Topic)
	}
	if r.Partition != 0 {
		b = appendTag(b, recPartition, protowire.VarintType)
		b = appendVarint(b, uint64(int64(r.Partition)))
	}
	if r.Offset != 0 {
		b = appendTag(b, recOffset, protowire.VarintType)
		b = appendVarint(b, uint64(r.Offset))
	}
	if !r.Timestamp.IsZero() {
		if s := r.Timestamp.Unix(); s != 0 {
			b = appendTag(b, recTsSeconds, protowire.VarintType)
			b = appendVarint(b, uint64(s))
		}
		if n := r.Timestamp.Nanosecond(); n != 0 {
			b = appendTag(b, recTsNanos, protowire.VarintType)
			b = appendVarint(b, uint64(int64(n)))
		}
		b = appendTag(b, recHasTs, protowire.VarintType)
		b = appendVarint(b, 1)
	}
	var err error
	if b, err = e.appendValue(b, recKey, r.Key); err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	if ref := e.schemas.ref(r.KeySchema); ref != 0 {
		b = appendTag(b, recKeySchema, protowire.VarintType)
		b = appendVarint(b, uint64(ref))
	}
	if b, err = e.appendValue(b, recValue, r.Value); err != nil {
		return nil, fmt.Errorf("value: %w", err)
	}
	if ref := e.schemas.ref(r.ValueSchema); ref != 0 {
		b = appendTag(b, recValSc, protowire.VarintType)
		b = appendVarint(b, uint64(ref))
	}
	for _, h := range r.Headers {
		n := protowire.SizeTag(hdrKey) + protowire.SizeBytes(len(h.Key))
		if h.Value != nil {
			n += protowire.SizeTag(hdrValue) + protowire.SizeBytes(len(h.Value))
		}
		b = appendTag(b, recHeaders, protowire.BytesType)
		b = appendVarint(b, uint64(n))
		b = appendTag(b, hdrKey, protowire.BytesType)
		b = appendString(b, h.Key)
		if h.Value != nil {
			b = appendTag(b, hdrValue, protowire.BytesType)
			b = appendBytes(b, h.Value)
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
		return e.appendNested(b, num, func(b []byte) ([]byte, error) { return e.appendValueFields(b, v) })
	}
	b = appendTag(b, num, protowire.BytesType)
	b = appendVarint(b, uint64(protowire.SizeTag(kind)+protowire.SizeBytes(n)))
	b = appendTag(b, kind, protowire.BytesType)
	switch v := v.(type) {
	case string:
		return appendString(b, v), nil
	case []byte:
		return appendBytes(b, v), nil
	case sdk.Raw:
		return appendBytes(b, v), nil
	}
	return b, nil
}

// DecodeRaw appends the records of a RecordBatch in wire format to recs.
// Strings and byte slices of the records share data's memory: data must not
// change afterwards (RawBatch.Data from Codec is a copy of its own). Each
// call decodes its schemas anew; a Decoder gives records of the same shape
// the same schema pointers from one batch to the next.
func DecodeRaw(data []byte, recs []sdk.Record) ([]sdk.Record, error) {
	return (*Decoder)(nil).Decode(data, recs)
}

// Decoder decodes record batches, keeping the schemas it has seen: a stream
// of records of one shape keeps one set of *sdk.Schema, as records from a
// converter do, so that sinks and converters that cache by schema pointer
// (a table's columns, a JSON envelope) hit their caches across batches.
// The zero value is ready; a nil *Decoder caches nothing.
type Decoder struct {
	schemas map[string]decodedSchemas // by the chunk's schema messages, as sent
	boxes   boxes
}

// maxSchemaSets bounds a Decoder's cache; it starts over when full.
const maxSchemaSets = 256

// Decode is DecodeRaw with the Decoder's schemas.
func (d *Decoder) Decode(data []byte, recs []sdk.Record) ([]sdk.Record, error) {
	// Schemas may follow the records that use them: find them first.
	var schemaMsgs [][]byte
	err := eachBatchField(data, func(num protowire.Number, v []byte) error {
		if num == batchSchemas {
			schemaMsgs = append(schemaMsgs, v)
		}
		return nil
	})
	if err != nil {
		return recs, err
	}
	schemas, err := d.decodeSchemas(schemaMsgs)
	if err != nil {
		return recs, err
	}
	bx := &boxes{}
	if d != nil {
		bx = &d.boxes
	}
	i := 0
	err = eachBatchField(data, func(num protowire.Number, body []byte) error {
		if num != batchRecords && num != batchPacked {
			return nil
		}
		recs = append(recs, sdk.Record{})
		decode := decodeRecord
		if num == batchPacked {
			decode = decodePacked
		}
		if err := decode(&recs[len(recs)-1], body, schemas, bx); err != nil {
			recs = recs[:len(recs)-1]
			return fmt.Errorf("record %d: %w", i, err)
		}
		i++
		return nil
	})
	return recs, err
}

// eachBatchField calls fn with each length-delimited field of a RecordBatch
// and skips the others.
func eachBatchField(b []byte, fn func(num protowire.Number, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := consumeBytes(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, v); err != nil {
			return err
		}
	}
	return nil
}

// decodeSchemas decodes a chunk's schema messages, or finds them decoded.
func (d *Decoder) decodeSchemas(msgs [][]byte) (decodedSchemas, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	var key string
	if d != nil {
		var b []byte
		for _, m := range msgs {
			b = appendBytes(b, m)
		}
		key = string(b)
		if ds, ok := d.schemas[key]; ok {
			return ds, nil
		}
	}
	ms := make([]*Schema, len(msgs))
	for i, m := range msgs {
		ms[i] = &Schema{}
		if err := proto.Unmarshal(m, ms[i]); err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
	}
	ds, err := decodeSchemas(ms)
	if err == nil && d != nil {
		if d.schemas == nil || len(d.schemas) >= maxSchemaSets {
			d.schemas = map[string]decodedSchemas{}
		}
		d.schemas[key] = ds
	}
	return ds, err
}

// decodeRecord decodes a Record message into r, which is zero.
func decodeRecord(r *sdk.Record, b []byte, schemas decodedSchemas, bx *boxes) error {
	var sec, nsec int64
	var hasTs bool
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if typ == protowire.VarintType {
			x, n := consumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
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
				return err
			}
			continue
		}
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := consumeBytes(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var err error
		switch num {
		case recTopic:
			r.Topic = alias(v)
		case recKey:
			r.Key, err = bx.value(v, schemas)
		case recValue:
			r.Value, err = bx.value(v, schemas)
		case recHeaders:
			var h sdk.Header
			h, err = decodeHeader(v)
			r.Headers = append(r.Headers, h)
		case recSourcePart:
			r.SourcePartition, err = asMap(decodeValueFields(v, schemas))
		case recSourceOff:
			r.SourceOffset, err = asMap(decodeValueFields(v, schemas))
		}
		if err != nil {
			return err
		}
	}
	if hasTs {
		r.Timestamp = time.Unix(sec, nsec)
	}
	return nil
}

func decodeHeader(b []byte) (sdk.Header, error) {
	var h sdk.Header
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
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
		v, n := consumeBytes(b)
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
