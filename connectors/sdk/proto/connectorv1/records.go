package connectorv1

import (
	"errors"
	"fmt"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Encoder cuts batches of records into RecordBatch chunks of about
// ChunkBytes. It keeps its schema table between calls; use one per
// goroutine.
type Encoder struct {
	schemas schemaTable
	// ChunkBytes overrides the package's ChunkBytes when positive.
	ChunkBytes int
	// Packed writes the records that have the shape in RecordBatch.packed
	// (protocol version 3): only for a peer that speaks version 3, and only
	// by AppendChunk and EncodeChunks (Encode builds Record messages).
	Packed bool
}

// Encode calls emit with each chunk of recs, in order. A chunk is not used
// after emit returns, and an error from emit stops the encoding.
func (e *Encoder) Encode(recs []sdk.Record, emit func(*RecordBatch) error) error {
	limit := e.ChunkBytes
	if limit <= 0 {
		limit = ChunkBytes
	}
	for start := 0; start < len(recs) || start == 0; {
		e.schemas.reset()
		chunk := &RecordBatch{}
		size := 0
		end := start
		for end < len(recs) && (end == start || size < limit) {
			m, err := e.record(&recs[end])
			if err != nil {
				return fmt.Errorf("record %d (%s-%d@%d): %w", end, recs[end].Topic, recs[end].Partition, recs[end].Offset, err)
			}
			chunk.Records = append(chunk.Records, m)
			size += approxSize(&recs[end])
			end++
		}
		var err error
		if chunk.Schemas, err = e.schemas.messages(); err != nil {
			return err
		}
		if err := emit(chunk); err != nil {
			return err
		}
		start = end
		if start >= len(recs) {
			break
		}
	}
	return nil
}

func (e *Encoder) record(r *sdk.Record) (*Record, error) {
	m := &Record{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		KeySchema: e.schemas.ref(r.KeySchema), ValueSchema: e.schemas.ref(r.ValueSchema),
	}
	if !r.Timestamp.IsZero() {
		m.TimestampSeconds, m.TimestampNanos, m.HasTimestamp = r.Timestamp.Unix(), int32(r.Timestamp.Nanosecond()), true
	}
	var err error
	if m.Key, err = e.schemas.value(r.Key); err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	if m.Value, err = e.schemas.value(r.Value); err != nil {
		return nil, fmt.Errorf("value: %w", err)
	}
	if len(r.Headers) > 0 {
		m.Headers = make([]*Header, len(r.Headers))
		for i, h := range r.Headers {
			m.Headers[i] = &Header{Key: h.Key, Value: h.Value}
		}
	}
	if r.SourcePartition != nil {
		if m.SourcePartition, err = e.schemas.value(r.SourcePartition); err != nil {
			return nil, fmt.Errorf("source partition: %w", err)
		}
	}
	if r.SourceOffset != nil {
		if m.SourceOffset, err = e.schemas.value(r.SourceOffset); err != nil {
			return nil, fmt.Errorf("source offset: %w", err)
		}
	}
	return m, nil
}

// approxSize estimates the encoded size of r, cheaply, to cut chunks.
func approxSize(r *sdk.Record) int {
	n := 32 + len(r.Topic) + valueSize(r.Key) + valueSize(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value) + 4
	}
	return n
}

func valueSize(v any) int {
	switch v := v.(type) {
	case string:
		return len(v) + 2
	case []byte:
		return len(v) + 2
	case sdk.Raw:
		return len(v) + 2
	case *sdk.Struct:
		n := 4
		if v != nil {
			for _, e := range v.Values {
				n += valueSize(e) + 2
			}
		}
		return n
	case []any:
		n := 4
		for _, e := range v {
			n += valueSize(e) + 2
		}
		return n
	case map[string]any:
		n := 4
		for k, e := range v {
			n += len(k) + valueSize(e) + 4
		}
		return n
	case map[any]any:
		n := 4
		for k, e := range v {
			n += valueSize(k) + valueSize(e) + 4
		}
		return n
	}
	return 10
}

// Decode appends the records of chunk b to recs.
func Decode(b *RecordBatch, recs []sdk.Record) ([]sdk.Record, error) {
	if len(b.GetPacked()) > 0 {
		// Their order among the records is only in the wire format.
		return recs, errors.New("a batch with packed records (protocol version 3) is read with DecodeRaw or a Decoder")
	}
	schemas, err := decodeSchemas(b.GetSchemas())
	if err != nil {
		return recs, err
	}
	for i, m := range b.GetRecords() {
		r := sdk.Record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
		if m.HasTimestamp {
			r.Timestamp = time.Unix(m.TimestampSeconds, int64(m.TimestampNanos))
		}
		if r.KeySchema, err = schemas.get(m.KeySchema); err == nil {
			r.ValueSchema, err = schemas.get(m.ValueSchema)
		}
		if err == nil {
			r.Key, err = schemas.value(m.Key)
		}
		if err == nil {
			r.Value, err = schemas.value(m.Value)
		}
		if err == nil && m.SourcePartition != nil {
			r.SourcePartition, err = asMap(schemas.value(m.SourcePartition))
		}
		if err == nil && m.SourceOffset != nil {
			r.SourceOffset, err = asMap(schemas.value(m.SourceOffset))
		}
		if err != nil {
			return recs, fmt.Errorf("record %d: %w", i, err)
		}
		if len(m.Headers) > 0 {
			r.Headers = make([]sdk.Header, len(m.Headers))
			for j, h := range m.Headers {
				r.Headers[j] = sdk.Header{Key: h.Key, Value: h.Value}
			}
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func asMap(v any, err error) (map[string]any, error) {
	if err != nil || v == nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a map with string keys, got %T", v)
	}
	return m, nil
}

// Offsets converts sdk offsets to messages.
func Offsets(o sdk.Offsets) []*PartitionOffset {
	out := make([]*PartitionOffset, 0, len(o))
	for tp, off := range o {
		out = append(out, &PartitionOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: off})
	}
	return out
}

// ToOffsets converts messages to sdk offsets; no messages is nil.
func ToOffsets(ms []*PartitionOffset) sdk.Offsets {
	if len(ms) == 0 {
		return nil
	}
	out := make(sdk.Offsets, len(ms))
	for _, m := range ms {
		out[sdk.TopicPartition{Topic: m.Topic, Partition: m.Partition}] = m.Offset
	}
	return out
}

// Partitions converts sdk partitions to messages.
func Partitions(tps []sdk.TopicPartition) []*TopicPartition {
	out := make([]*TopicPartition, len(tps))
	for i, tp := range tps {
		out[i] = &TopicPartition{Topic: tp.Topic, Partition: tp.Partition}
	}
	return out
}

// ToPartitions converts messages to sdk partitions.
func ToPartitions(ms []*TopicPartition) []sdk.TopicPartition {
	out := make([]sdk.TopicPartition, len(ms))
	for i, m := range ms {
		out[i] = sdk.TopicPartition{Topic: m.Topic, Partition: m.Partition}
	}
	return out
}
