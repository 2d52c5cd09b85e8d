package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// offsetTable maps a connector to its entries: canonical partition JSON to
// canonical offset JSON. Keeping the bytes, as the Kafka store keys its cache
// by raw key bytes, makes every implementation canonicalise the same way. The
// inner maps are copy-on-write: a Put builds a new one and swaps it in only
// after it was persisted.
type offsetTable map[string]map[string][]byte

// offsetCore is the state and logic shared by MemoryOffsets and FileOffsets.
type offsetCore struct {
	mu     sync.Mutex // serialises writes (including persist) and guards the fields below
	table  offsetTable
	closed bool
	// persist, when set, durably stores the table with the connector's
	// entries replaced by next (nil: removed) before they become visible.
	// It is called with mu held.
	persist func(t offsetTable, connector string, next map[string][]byte) error
}

func (c *offsetCore) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.closed {
		return ErrClosed
	}
	return nil
}

func (c *offsetCore) get(ctx context.Context, connector string, partition map[string]any) (map[string]any, error) {
	p, err := encodeFlat(partition)
	if err != nil {
		return nil, fmt.Errorf("get offset of %q: partition: %w", connector, err)
	}
	c.mu.Lock()
	err = c.check(ctx)
	off := c.table[connector][string(p)]
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("get offset of %q: %w", connector, err)
	}
	if off == nil {
		return nil, nil
	}
	m, err := decodeFlat(off)
	if err != nil {
		return nil, fmt.Errorf("get offset of %q: %w", connector, err)
	}
	return m, nil
}

func (c *offsetCore) put(ctx context.Context, connector string, positions []sdk.Position) error {
	if connector == "" {
		return fmt.Errorf("put offsets: %w empty connector name", ErrInvalid)
	}
	// Encode everything before taking the lock: a bad position fails the
	// whole Put and stores nothing.
	type change struct {
		partition string
		offset    []byte // nil: delete
	}
	changes := make([]change, 0, len(positions))
	for i, pos := range positions {
		p, err := encodeFlat(pos.Partition)
		if err != nil {
			return fmt.Errorf("put offsets of %q: position %d: partition: %w", connector, i, err)
		}
		var o []byte
		if pos.Offset != nil {
			if o, err = encodeFlat(pos.Offset); err != nil {
				return fmt.Errorf("put offsets of %q: position %d: offset: %w", connector, i, err)
			}
		}
		changes = append(changes, change{string(p), o})
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(ctx); err != nil {
		return fmt.Errorf("put offsets of %q: %w", connector, err)
	}
	cur := c.table[connector]
	var next map[string][]byte
	changed := false
	for _, ch := range changes { // in order, so the last position of a partition wins
		m := cur
		if changed {
			m = next
		}
		old, ok := m[ch.partition]
		if ch.offset == nil && !ok || ch.offset != nil && ok && bytes.Equal(old, ch.offset) {
			continue
		}
		if !changed {
			next = maps.Clone(cur)
			if next == nil {
				next = make(map[string][]byte, len(changes))
			}
			changed = true
		}
		if ch.offset == nil {
			delete(next, ch.partition)
		} else {
			next[ch.partition] = ch.offset
		}
	}
	if !changed || maps.EqualFunc(next, cur, bytes.Equal) { // changed, then changed back
		return nil
	}
	if len(next) == 0 {
		next = nil
	}
	return c.commit(connector, next, "put offsets")
}

// commit persists and then installs the connector's new entries. It is
// called with mu held.
func (c *offsetCore) commit(connector string, next map[string][]byte, op string) error {
	if c.persist != nil {
		if err := c.persist(c.table, connector, next); err != nil {
			return fmt.Errorf("%s of %q: %w", op, connector, err)
		}
	}
	if next == nil {
		delete(c.table, connector)
	} else {
		c.table[connector] = next
	}
	return nil
}

func (c *offsetCore) all(ctx context.Context, connector string) ([]sdk.Position, error) {
	c.mu.Lock()
	err := c.check(ctx)
	entries := c.table[connector] // copy-on-write: safe to read after unlock
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("list offsets of %q: %w", connector, err)
	}
	keys := slices.Sorted(maps.Keys(entries))
	out := make([]sdk.Position, 0, len(keys))
	for _, k := range keys {
		p, err := decodeFlat([]byte(k))
		if err != nil {
			return nil, fmt.Errorf("list offsets of %q: %w", connector, err)
		}
		o, err := decodeFlat(entries[k])
		if err != nil {
			return nil, fmt.Errorf("list offsets of %q: %w", connector, err)
		}
		out = append(out, sdk.Position{Partition: p, Offset: o})
	}
	return out, nil
}

func (c *offsetCore) deleteAll(ctx context.Context, connector string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(ctx); err != nil {
		return fmt.Errorf("delete offsets of %q: %w", connector, err)
	}
	if _, ok := c.table[connector]; !ok {
		return nil
	}
	return c.commit(connector, nil, "delete offsets")
}

func (c *offsetCore) sync(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(ctx); err != nil {
		return fmt.Errorf("sync offsets: %w", err)
	}
	return nil
}

func (c *offsetCore) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

// MemoryOffsets is an Offsets held in memory, for tests. It canonicalises
// keys and numbers exactly as the durable stores do.
type MemoryOffsets struct {
	core offsetCore
}

// NewMemoryOffsets returns an empty MemoryOffsets.
func NewMemoryOffsets() *MemoryOffsets {
	return &MemoryOffsets{core: offsetCore{table: offsetTable{}}}
}

// Get implements Offsets.
func (s *MemoryOffsets) Get(ctx context.Context, connector string, partition map[string]any) (map[string]any, error) {
	return s.core.get(ctx, connector, partition)
}

// Put implements Offsets.
func (s *MemoryOffsets) Put(ctx context.Context, connector string, positions []sdk.Position) error {
	return s.core.put(ctx, connector, positions)
}

// All implements Offsets.
func (s *MemoryOffsets) All(ctx context.Context, connector string) ([]sdk.Position, error) {
	return s.core.all(ctx, connector)
}

// DeleteAll implements Offsets.
func (s *MemoryOffsets) DeleteAll(ctx context.Context, connector string) error {
	return s.core.deleteAll(ctx, connector)
}

// Sync implements Syncer; a MemoryOffsets is always up to date.
func (s *MemoryOffsets) Sync(ctx context.Context) error { return s.core.sync(ctx) }

// Close makes later calls return ErrClosed. It is idempotent.
func (s *MemoryOffsets) Close() error {
	s.core.close()
	return nil
}
