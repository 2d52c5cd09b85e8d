package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// KafkaOffsets is an Offsets kept in distributed mode's offsets topic: key
// ["<connector>",{partition}], value the offset map as JSON, a tombstone to
// delete, as Kafka Connect's KafkaOffsetBackingStore writes them. Offsets a
// Kafka Connect cluster wrote are read too (their keys are re-canonicalised,
// so a later write of ours replaces them). It implements Syncer.
type KafkaOffsets struct {
	core offsetCore // table and reads; writes go through the topic
	t    *tail
}

// NewKafkaOffsets opens the offsets topic with a client made from opts and
// reads it to its end.
func NewKafkaOffsets(ctx context.Context, opts []kgo.Opt, topic string) (*KafkaOffsets, error) {
	s := &KafkaOffsets{core: offsetCore{table: offsetTable{}}}
	t, err := newTail(topic, opts, s.apply)
	if err != nil {
		return nil, err
	}
	s.t = t
	if err := t.sync(ctx); err != nil {
		t.close()
		return nil, fmt.Errorf("read offsets topic %s: %w", topic, err)
	}
	return s, nil
}

// apply installs one record; it is called by the tail with its lock held.
func (s *KafkaOffsets) apply(r *kgo.Record) {
	connector, partition, ok := parseOffsetKey(r.Key)
	if !ok {
		return
	}
	var off []byte
	if r.Value != nil {
		m, err := decodeFlat(r.Value)
		if err != nil {
			return
		}
		if off, err = encodeFlat(m); err != nil {
			return
		}
	}
	s.core.mu.Lock()
	defer s.core.mu.Unlock()
	cur := s.core.table[connector]
	if old, ok := cur[partition]; off == nil && !ok || ok && bytes.Equal(old, off) {
		return
	}
	next := maps.Clone(cur) // copy-on-write: readers may hold cur
	if next == nil {
		next = map[string][]byte{}
	}
	if off == nil {
		delete(next, partition)
	} else {
		next[partition] = off
	}
	if len(next) == 0 {
		delete(s.core.table, connector)
	} else {
		s.core.table[connector] = next
	}
}

// parseOffsetKey splits ["connector",{partition}] into the connector and
// the canonical partition.
func parseOffsetKey(key []byte) (string, string, bool) {
	var parts []json.RawMessage
	if json.Unmarshal(key, &parts) != nil || len(parts) != 2 {
		return "", "", false
	}
	var connector string
	if json.Unmarshal(parts[0], &connector) != nil || connector == "" {
		return "", "", false
	}
	m, err := decodeFlat(parts[1])
	if err != nil {
		return "", "", false
	}
	p, err := encodeFlat(m)
	if err != nil {
		return "", "", false
	}
	return connector, string(p), true
}

// Get implements Offsets.
func (s *KafkaOffsets) Get(ctx context.Context, connector string, partition map[string]any) (map[string]any, error) {
	return s.core.get(ctx, connector, partition)
}

// All implements Offsets.
func (s *KafkaOffsets) All(ctx context.Context, connector string) ([]sdk.Position, error) {
	return s.core.all(ctx, connector)
}

// Put implements Offsets. It writes only the entries that differ from the
// store's view, in one produce call, and returns once it has read them back.
// The records of one Put may land in several partitions of the topic: a
// failed Put may have stored some of them.
func (s *KafkaOffsets) Put(ctx context.Context, connector string, positions []sdk.Position) error {
	if connector == "" {
		return fmt.Errorf("put offsets: %w empty connector name", ErrInvalid)
	}
	if err := s.core.check(ctx); err != nil {
		return fmt.Errorf("put offsets of %q: %w", connector, err)
	}
	final, order, err := encodePositions(positions)
	if err != nil {
		return fmt.Errorf("put offsets of %q: %w", connector, err)
	}
	s.core.mu.Lock()
	cur := s.core.table[connector]
	s.core.mu.Unlock()
	var recs []*kgo.Record
	for _, p := range order {
		o := final[p]
		old, ok := cur[p]
		if o == nil && !ok || o != nil && ok && bytes.Equal(old, o) {
			continue
		}
		recs = append(recs, &kgo.Record{Key: offsetKey(connector, []byte(p)), Value: o})
	}
	if len(recs) == 0 {
		return nil
	}
	if err := s.t.write(ctx, recs...); err != nil {
		return fmt.Errorf("put offsets of %q: %w", connector, err)
	}
	return nil
}

// Records returns the records that store positions of connector, addressed
// to the offsets topic, for the caller to produce with a producer of its own:
// an exactly-once source task writes them in the transaction that holds its
// records, so that both commit or neither does. The store sees them once
// they are committed and its reader has reached them (Sync).
func (s *KafkaOffsets) Records(connector string, positions []sdk.Position) ([]*kgo.Record, error) {
	if connector == "" {
		return nil, fmt.Errorf("offset records: %w empty connector name", ErrInvalid)
	}
	final, order, err := encodePositions(positions)
	if err != nil {
		return nil, fmt.Errorf("offset records of %q: %w", connector, err)
	}
	recs := make([]*kgo.Record, 0, len(order))
	for _, p := range order {
		recs = append(recs, &kgo.Record{Topic: s.t.topic, Key: offsetKey(connector, []byte(p)), Value: final[p]})
	}
	return recs, nil
}

// encodePositions canonicalises positions: partition → offset (nil to
// delete), the last of a partition winning, and the partitions in first-seen
// order.
func encodePositions(positions []sdk.Position) (map[string][]byte, []string, error) {
	final := map[string][]byte{}
	var order []string
	for i, pos := range positions {
		p, err := encodeFlat(pos.Partition)
		if err != nil {
			return nil, nil, fmt.Errorf("position %d: partition: %w", i, err)
		}
		var o []byte
		if pos.Offset != nil {
			if o, err = encodeFlat(pos.Offset); err != nil {
				return nil, nil, fmt.Errorf("position %d: offset: %w", i, err)
			}
		}
		if _, seen := final[string(p)]; !seen {
			order = append(order, string(p))
		}
		final[string(p)] = o
	}
	return final, order, nil
}

// DeleteAll implements Offsets: a tombstone for every partition.
func (s *KafkaOffsets) DeleteAll(ctx context.Context, connector string) error {
	if err := s.core.check(ctx); err != nil {
		return fmt.Errorf("delete offsets of %q: %w", connector, err)
	}
	s.core.mu.Lock()
	cur := s.core.table[connector]
	s.core.mu.Unlock()
	var recs []*kgo.Record
	for p := range cur {
		recs = append(recs, &kgo.Record{Key: offsetKey(connector, []byte(p))})
	}
	if len(recs) == 0 {
		return nil
	}
	if err := s.t.write(ctx, recs...); err != nil {
		return fmt.Errorf("delete offsets of %q: %w", connector, err)
	}
	return nil
}

// Sync implements Syncer: it reads the topic to its current end.
func (s *KafkaOffsets) Sync(ctx context.Context) error {
	if err := s.core.check(ctx); err != nil {
		return fmt.Errorf("sync offsets: %w", err)
	}
	if err := s.t.sync(ctx); err != nil {
		return fmt.Errorf("sync offsets: %w", err)
	}
	return nil
}

// Close stops reading; later calls return ErrClosed. It is idempotent.
func (s *KafkaOffsets) Close() error {
	s.core.close()
	s.t.close()
	return nil
}
