package transform

import (
	"sync"
	"sync/atomic"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// cacheSize bounds a schema cache, as Kafka Connect's LRUCache(16) does: a
// stream whose schema pointer changes on every record must not grow the heap.
const cacheSize = 16

// schemaCache maps an input schema pointer to what a transform derived from
// it. The last hit is read without locking, so a stream of records that share
// one schema takes no lock at all.
type schemaCache[V any] struct {
	last atomic.Pointer[cacheEntry[V]]
	mu   sync.Mutex
	m    map[*sdk.Schema]*cacheEntry[V]
}

type cacheEntry[V any] struct {
	in  *sdk.Schema
	out V
}

// get returns the value derived from in, building and caching it on a miss.
// Build errors are not cached.
func (c *schemaCache[V]) get(in *sdk.Schema, build func(*sdk.Schema) (V, error)) (V, error) {
	if e := c.last.Load(); e != nil && e.in == in {
		return e.out, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[in]
	if !ok {
		out, err := build(in)
		if err != nil {
			return out, err
		}
		if c.m == nil || len(c.m) >= cacheSize {
			c.m = make(map[*sdk.Schema]*cacheEntry[V], cacheSize)
		}
		e = &cacheEntry[V]{in: in, out: out}
		c.m[in] = e
	}
	c.last.Store(e)
	return e.out, nil
}

// len reports the number of cached schemas (for tests).
func (c *schemaCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
