package connectorv1

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Packed records (protocol version 3, RecordBatch.packed): the common shape
// of record, fixed fields at fixed places and the bytes after them, written
// and read without a varint or a tag per field. connector.proto has the
// layout.

// packedHeader is the size of a packed record's fixed fields.
const packedHeader = 49

// kinds of a packed key or value.
const (
	packedAbsent, packedString, packedBytes, packedRaw = 0, 1, 2, 3
)

var le = binary.LittleEndian

var errPacked = errors.New("malformed packed record")

// appendPacked appends r as a packed record and reports true, or appends
// nothing and reports false when r does not have the packed shape.
func (e *Encoder) appendPacked(b []byte, r *sdk.Record) ([]byte, bool) {
	if r.SourcePartition != nil || r.SourceOffset != nil {
		return b, false
	}
	kk, ks, kb, ok := packedValue(r.Key)
	if !ok {
		return b, false
	}
	vk, vs, vb, ok := packedValue(r.Value)
	if !ok {
		return b, false
	}
	n := packedHeader + len(r.Topic) + len(ks) + len(kb) + len(vs) + len(vb)
	for _, h := range r.Headers {
		n += 8 + len(h.Key) + len(h.Value)
	}
	b = appendTag(b, batchPacked, protowire.BytesType)
	b = appendVarint(b, uint64(n))
	b = slices.Grow(b, n)
	h := b[len(b) : len(b)+packedHeader]
	flags := kk<<1 | vk<<3
	var sec int64
	var nsec int32
	if !r.Timestamp.IsZero() {
		flags |= 1
		sec, nsec = r.Timestamp.Unix(), int32(r.Timestamp.Nanosecond())
	}
	h[0] = flags
	le.PutUint32(h[1:], uint32(r.Partition))
	le.PutUint64(h[5:], uint64(r.Offset))
	le.PutUint64(h[13:], uint64(sec))
	le.PutUint32(h[21:], uint32(nsec))
	le.PutUint32(h[25:], e.schemas.ref(r.KeySchema)) // in appendBody's order
	le.PutUint32(h[29:], e.schemas.ref(r.ValueSchema))
	le.PutUint32(h[33:], uint32(len(r.Topic)))
	le.PutUint32(h[37:], uint32(len(ks)+len(kb)))
	le.PutUint32(h[41:], uint32(len(vs)+len(vb)))
	le.PutUint32(h[45:], uint32(len(r.Headers)))
	b = b[:len(b)+packedHeader]
	b = append(b, r.Topic...)
	b = append(append(b, ks...), kb...)
	b = append(append(b, vs...), vb...)
	for _, h := range r.Headers {
		b = append(le.AppendUint32(b, uint32(len(h.Key))), h.Key...)
		if h.Value == nil {
			b = le.AppendUint32(b, math.MaxUint32) // -1
			continue
		}
		b = append(le.AppendUint32(b, uint32(len(h.Value))), h.Value...)
	}
	return b, true
}

// packedValue returns the kind of a key or value and its string or bytes;
// ok is false for any other type. Nil bytes are absent, as in a Record.
func packedValue(v any) (kind byte, s string, b []byte, ok bool) {
	switch v := v.(type) {
	case nil:
		return packedAbsent, "", nil, true
	case string:
		return packedString, v, nil, true
	case []byte:
		if v == nil {
			return packedAbsent, "", nil, true
		}
		return packedBytes, "", v, true
	case sdk.Raw:
		if v == nil {
			return packedAbsent, "", nil, true
		}
		return packedRaw, "", v, true
	}
	return 0, "", nil, false
}

// decodePacked decodes a packed record into r, which is zero.
func decodePacked(r *sdk.Record, b []byte, schemas decodedSchemas, bx *boxes) error {
	if len(b) < packedHeader {
		return errPacked
	}
	flags := b[0]
	r.Partition = int32(le.Uint32(b[1:]))
	r.Offset = int64(le.Uint64(b[5:]))
	if flags&1 != 0 {
		r.Timestamp = time.Unix(int64(le.Uint64(b[13:])), int64(int32(le.Uint32(b[21:]))))
	}
	var err error
	if r.KeySchema, err = schemas.get(le.Uint32(b[25:])); err != nil {
		return err
	}
	if r.ValueSchema, err = schemas.get(le.Uint32(b[29:])); err != nil {
		return err
	}
	tl, kl, vl := uint64(le.Uint32(b[33:])), uint64(le.Uint32(b[37:])), uint64(le.Uint32(b[41:]))
	nh := le.Uint32(b[45:])
	p := b[packedHeader:]
	if tl+kl+vl > uint64(len(p)) {
		return errPacked
	}
	r.Topic = alias(p[:tl])
	p = p[tl:]
	if r.Key, err = bx.packed(flags>>1&3, p[:kl:kl]); err != nil {
		return err
	}
	p = p[kl:]
	if r.Value, err = bx.packed(flags>>3&3, p[:vl:vl]); err != nil {
		return err
	}
	p = p[vl:]
	if nh > 0 {
		if uint64(nh)*8 > uint64(len(p)) {
			return errPacked
		}
		r.Headers = make([]sdk.Header, nh)
		for i := range r.Headers {
			h := &r.Headers[i]
			if len(p) < 4 {
				return errPacked
			}
			n := uint64(le.Uint32(p))
			if p = p[4:]; n+4 > uint64(len(p)) {
				return errPacked
			}
			h.Key = alias(p[:n])
			vn := int32(le.Uint32(p[n:]))
			p = p[n+4:]
			if vn < 0 {
				continue
			}
			if uint64(vn) > uint64(len(p)) {
				return errPacked
			}
			h.Value = p[:vn:vn]
			p = p[vn:]
		}
	}
	if len(p) != 0 {
		return errPacked
	}
	return nil
}

// packed returns a packed key or value of the given kind.
func (bx *boxes) packed(kind byte, b []byte) (any, error) {
	switch kind {
	case packedAbsent:
		if len(b) != 0 {
			return nil, errPacked
		}
		return nil, nil
	case packedString:
		return bx.string(alias(b)), nil
	case packedBytes:
		return b, nil
	}
	return sdk.Raw(b), nil
}
