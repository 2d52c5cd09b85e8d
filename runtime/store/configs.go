package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// configCore is the state and logic shared by MemoryConfigs and FileConfigs.
type configCore struct {
	mu     sync.Mutex // serialises writes (including persist) and guards the fields below
	m      map[string]Connector
	closed bool
	// persist, when set, durably stores next before it becomes visible. It is
	// called with mu held. next shares values with m: it must not modify them.
	persist func(next map[string]Connector) error
}

func (c *configCore) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.closed {
		return ErrClosed
	}
	return nil
}

func (c *configCore) list(ctx context.Context) ([]Connector, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(ctx); err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	out := make([]Connector, 0, len(c.m))
	for _, name := range slices.Sorted(maps.Keys(c.m)) {
		out = append(out, cloneConnector(c.m[name]))
	}
	return out, nil
}

func (c *configCore) get(ctx context.Context, name string) (Connector, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(ctx); err != nil {
		return Connector{}, false, fmt.Errorf("get connector %q: %w", name, err)
	}
	conn, ok := c.m[name]
	if !ok {
		return Connector{}, false, nil
	}
	return cloneConnector(conn), true, nil
}

func (c *configCore) put(ctx context.Context, conn Connector) error {
	if err := validConnector(&conn); err != nil {
		return fmt.Errorf("put connector %q: %w", conn.Name, err)
	}
	conn = cloneConnector(conn)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(ctx); err != nil {
		return fmt.Errorf("put connector %q: %w", conn.Name, err)
	}
	next := maps.Clone(c.m)
	next[conn.Name] = conn
	return c.commit(next, "put connector", conn.Name)
}

func (c *configCore) delete(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(ctx); err != nil {
		return fmt.Errorf("delete connector %q: %w", name, err)
	}
	if _, ok := c.m[name]; !ok {
		return nil
	}
	next := maps.Clone(c.m)
	delete(next, name)
	return c.commit(next, "delete connector", name)
}

// commit persists and then installs next. It is called with mu held.
func (c *configCore) commit(next map[string]Connector, op, name string) error {
	if c.persist != nil {
		if err := c.persist(next); err != nil {
			return fmt.Errorf("%s %q: %w", op, name, err)
		}
	}
	c.m = next
	return nil
}

func (c *configCore) sync(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(ctx); err != nil {
		return fmt.Errorf("sync connectors: %w", err)
	}
	return nil
}

func (c *configCore) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

// validConnector checks c and stores an empty Target as TargetStarted.
func validConnector(c *Connector) error {
	if c.Name == "" {
		return fmt.Errorf("%w empty name", ErrInvalid)
	}
	if c.Target == "" {
		c.Target = TargetStarted
	}
	if !c.Target.valid() {
		return fmt.Errorf("%w target state %q (want STARTED, PAUSED or STOPPED)", ErrInvalid, c.Target)
	}
	return nil
}

// cloneConnector returns a deep copy of c, with a non-nil Config (so that a
// caller may add keys to what Get returns) and nil Tasks when there are none.
func cloneConnector(c Connector) Connector {
	out := Connector{Name: c.Name, Target: c.Target, Config: maps.Clone(c.Config)}
	if out.Config == nil {
		out.Config = map[string]string{}
	}
	if len(c.Tasks) > 0 {
		out.Tasks = make([]map[string]string, len(c.Tasks))
		for i, t := range c.Tasks {
			out.Tasks[i] = maps.Clone(t)
			if out.Tasks[i] == nil {
				out.Tasks[i] = map[string]string{}
			}
		}
	}
	return out
}

// MemoryConfigs is a Configs held in memory, for tests.
type MemoryConfigs struct {
	core configCore
}

// NewMemoryConfigs returns an empty MemoryConfigs.
func NewMemoryConfigs() *MemoryConfigs {
	return &MemoryConfigs{core: configCore{m: map[string]Connector{}}}
}

// List implements Configs.
func (s *MemoryConfigs) List(ctx context.Context) ([]Connector, error) { return s.core.list(ctx) }

// Get implements Configs.
func (s *MemoryConfigs) Get(ctx context.Context, name string) (Connector, bool, error) {
	return s.core.get(ctx, name)
}

// Put implements Configs.
func (s *MemoryConfigs) Put(ctx context.Context, c Connector) error { return s.core.put(ctx, c) }

// Delete implements Configs.
func (s *MemoryConfigs) Delete(ctx context.Context, name string) error {
	return s.core.delete(ctx, name)
}

// Sync implements Syncer; a MemoryConfigs is always up to date.
func (s *MemoryConfigs) Sync(ctx context.Context) error { return s.core.sync(ctx) }

// Close makes later calls return ErrClosed. It is idempotent.
func (s *MemoryConfigs) Close() error {
	s.core.close()
	return nil
}
