package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/freshet-dev/freshet/runtime/store"
)

// NewConfigs makes a new, empty store for one test, and closes it (and any
// store reopen made) in t.Cleanup. reopen is nil for a store without durable
// state; otherwise it returns a new store over the same durable state. The
// suite closes the store being replaced before calling reopen, when it is an
// io.Closer.
type NewConfigs func(t *testing.T) (s store.Configs, reopen func(t *testing.T) store.Configs)

// TestConfigs runs the behaviour suite of store.Configs against the stores
// newStore makes.
func TestConfigs(t *testing.T, newStore NewConfigs) {
	t.Run("empty", func(t *testing.T) {
		s, _ := newStore(t)
		wantList(t, s)
		if _, ok, err := s.Get(t.Context(), "missing"); err != nil || ok {
			t.Fatalf("Get(missing) = ok %v, err %v; want not found", ok, err)
		}
	})

	t.Run("put then get returns what was put", func(t *testing.T) {
		s, _ := newStore(t)
		c := sample("orders-es", store.TargetPaused, 2)
		mustPut(t, s, c)
		wantGet(t, s, c)
		wantList(t, s, c)
	})

	t.Run("put replaces the whole connector", func(t *testing.T) {
		s, _ := newStore(t)
		mustPut(t, s, sample("a", store.TargetStarted, 3))
		c := store.Connector{Name: "a", Config: map[string]string{"connector.class": "other"}, Target: store.TargetStopped}
		mustPut(t, s, c)
		wantGet(t, s, c) // no tasks left, old keys gone
		wantList(t, s, c)
	})

	t.Run("list is sorted by name", func(t *testing.T) {
		s, _ := newStore(t)
		var want []store.Connector
		for _, name := range []string{"b", "a", "c-2", "A", "c-10"} {
			c := sample(name, store.TargetStarted, 1)
			mustPut(t, s, c)
			want = append(want, c)
		}
		slices.SortFunc(want, func(x, y store.Connector) int { return strings.Compare(x.Name, y.Name) })
		wantList(t, s, want...)
	})

	t.Run("delete removes only that connector", func(t *testing.T) {
		s, _ := newStore(t)
		a, b := sample("a", store.TargetStarted, 1), sample("b", store.TargetStarted, 1)
		mustPut(t, s, a)
		mustPut(t, s, b)
		if err := s.Delete(t.Context(), "a"); err != nil {
			t.Fatalf("Delete(a): %v", err)
		}
		wantList(t, s, b)
		if err := s.Delete(t.Context(), "a"); err != nil {
			t.Fatalf("Delete of a missing connector: %v; want nil", err)
		}
		wantList(t, s, b)
	})

	t.Run("target states", func(t *testing.T) {
		for _, tc := range []struct {
			in, want store.TargetState
		}{
			{store.TargetStarted, store.TargetStarted},
			{store.TargetPaused, store.TargetPaused},
			{store.TargetStopped, store.TargetStopped},
			{"", store.TargetStarted},
		} {
			t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
				s, _ := newStore(t)
				c := sample("c", tc.in, 0)
				mustPut(t, s, c)
				c.Target = tc.want
				wantGet(t, s, c)
			})
		}
	})

	t.Run("invalid connectors are rejected and not stored", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			c    store.Connector
		}{
			{"empty name", store.Connector{Config: map[string]string{"k": "v"}}},
			{"unknown target", store.Connector{Name: "c", Target: "RUNNING"}},
			{"lowercase target", store.Connector{Name: "c", Target: "paused"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s, _ := newStore(t)
				if err := s.Put(t.Context(), tc.c); !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("Put = %v; want an error wrapping ErrInvalid", err)
				}
				wantList(t, s)
			})
		}
	})

	t.Run("unusual names and values round-trip", func(t *testing.T) {
		s, reopen := newStore(t)
		c := store.Connector{
			Name: `crème "brûlée" <&> / 名前`,
			Config: map[string]string{
				"connection.url": "jdbc:postgresql://h/db?a=1&b=<2>",
				"secret":         "${file:/etc/secrets.properties:password}",
				"empty":          "",
				"multi\nline":    "tab\there\u2028",
			},
			Target: store.TargetStarted,
			Tasks:  []map[string]string{{}, {"k": `"quoted"`}},
		}
		mustPut(t, s, c)
		wantGet(t, s, c)
		if reopen != nil {
			s = reopenConfigs(t, s, reopen)
			wantGet(t, s, c)
		}
	})

	t.Run("stored values are copies", func(t *testing.T) {
		s, _ := newStore(t)
		c := sample("c", store.TargetStarted, 2)
		want := clone(c)
		mustPut(t, s, c)
		c.Config["connector.class"] = "changed after put"
		c.Tasks[0]["task.id"] = "changed after put"
		got, _, err := s.Get(t.Context(), "c")
		if err != nil {
			t.Fatal(err)
		}
		got.Config["connector.class"] = "changed after get"
		got.Tasks[1]["task.id"] = "changed after get"
		list, err := s.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		list[0].Config["new"] = "changed after list"
		wantGet(t, s, want)
	})

	t.Run("get returns a config the caller can extend", func(t *testing.T) {
		s, _ := newStore(t)
		mustPut(t, s, store.Connector{Name: "c"})
		got, _, err := s.Get(t.Context(), "c")
		if err != nil {
			t.Fatal(err)
		}
		got.Config["k"] = "v" // panics on a nil map
	})

	t.Run("a done context fails every call and stores nothing", func(t *testing.T) {
		s, _ := newStore(t)
		mustPut(t, s, sample("keep", store.TargetStarted, 1))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		checks := map[string]error{}
		_, checks["List"] = s.List(ctx)
		_, _, checks["Get"] = s.Get(ctx, "keep")
		checks["Put"] = s.Put(ctx, sample("new", store.TargetStarted, 1))
		checks["Delete"] = s.Delete(ctx, "keep")
		if sy, ok := s.(store.Syncer); ok {
			checks["Sync"] = sy.Sync(ctx)
		}
		for op, err := range checks {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled context = %v; want context.Canceled", op, err)
			}
		}
		wantList(t, s, sample("keep", store.TargetStarted, 1))
	})

	t.Run("closed", func(t *testing.T) {
		s, _ := newStore(t)
		cl, ok := s.(io.Closer)
		if !ok {
			t.Skip("store has no Close")
		}
		if err := cl.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := cl.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		checks := map[string]error{}
		_, checks["List"] = s.List(t.Context())
		_, _, checks["Get"] = s.Get(t.Context(), "c")
		checks["Put"] = s.Put(t.Context(), sample("c", store.TargetStarted, 0))
		checks["Delete"] = s.Delete(t.Context(), "c")
		for op, err := range checks {
			if !errors.Is(err, store.ErrClosed) {
				t.Errorf("%s after Close = %v; want ErrClosed", op, err)
			}
		}
	})

	t.Run("sync", func(t *testing.T) {
		s, _ := newStore(t)
		sy, ok := s.(store.Syncer)
		if !ok {
			t.Skip("store is not a Syncer")
		}
		c := sample("c", store.TargetStarted, 1)
		mustPut(t, s, c)
		if err := sy.Sync(t.Context()); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		wantList(t, s, c)
	})

	t.Run("reopen keeps every change", func(t *testing.T) {
		s, reopen := newStore(t)
		if reopen == nil {
			t.Skip("store has no durable state")
		}
		a, b, c := sample("a", store.TargetPaused, 2), sample("b", store.TargetStarted, 0), sample("c", store.TargetStopped, 1)
		for _, x := range []store.Connector{a, b, c} {
			mustPut(t, s, x)
		}
		b.Target = store.TargetStopped
		mustPut(t, s, b)
		if err := s.Delete(t.Context(), "c"); err != nil {
			t.Fatal(err)
		}
		s = reopenConfigs(t, s, reopen)
		wantList(t, s, a, b)
		// The reopened store keeps working, and so does the next one.
		mustPut(t, s, c)
		s = reopenConfigs(t, s, reopen)
		wantList(t, s, a, b, c)
	})

	t.Run("concurrent puts are all stored", func(t *testing.T) {
		s, reopen := newStore(t)
		const writers, each = 8, 5
		var wg sync.WaitGroup
		errs := make(chan error, writers*each*2)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					c := sample(fmt.Sprintf("w%d-%d", w, i), store.TargetStarted, 1)
					errs <- s.Put(t.Context(), c)
					// Everyone also writes one shared connector.
					errs <- s.Put(t.Context(), sample("shared", store.TargetStarted, w+1))
					_, _ = s.List(t.Context())
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent Put: %v", err)
			}
		}
		check := func(s store.Configs) {
			list, err := s.List(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != writers*each+1 {
				t.Fatalf("List has %d connectors; want %d", len(list), writers*each+1)
			}
			shared, _, _ := s.Get(t.Context(), "shared")
			if n := len(shared.Tasks); n < 1 || n > writers || !equal(shared, sample("shared", store.TargetStarted, n)) {
				t.Fatalf("shared connector is a mix of writes: %+v", shared)
			}
		}
		check(s)
		if reopen != nil {
			check(reopenConfigs(t, s, reopen))
		}
	})
}

// sample returns a connector with a few config keys and n task configs.
func sample(name string, target store.TargetState, n int) store.Connector {
	c := store.Connector{
		Name: name,
		Config: map[string]string{
			"name":            name,
			"connector.class": "file-sink",
			"tasks.max":       "4",
			"topics":          "orders",
		},
		Target: target,
	}
	for i := range n {
		c.Tasks = append(c.Tasks, map[string]string{"task.id": fmt.Sprint(i), "topics": "orders"})
	}
	return c
}

func mustPut(t *testing.T, s store.Configs, c store.Connector) {
	t.Helper()
	if err := s.Put(t.Context(), c); err != nil {
		t.Fatalf("Put(%q): %v", c.Name, err)
	}
}

func wantGet(t *testing.T, s store.Configs, want store.Connector) {
	t.Helper()
	got, ok, err := s.Get(t.Context(), want.Name)
	if err != nil || !ok {
		t.Fatalf("Get(%q) = ok %v, err %v; want found", want.Name, ok, err)
	}
	if !equal(got, want) {
		t.Fatalf("Get(%q) =\n%+v\nwant\n%+v", want.Name, got, want)
	}
}

func wantList(t *testing.T, s store.Configs, want ...store.Connector) {
	t.Helper()
	got, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !slices.EqualFunc(got, want, equal) {
		t.Fatalf("List =\n%+v\nwant\n%+v", got, want)
	}
}

func reopenConfigs(t *testing.T, s store.Configs, reopen func(t *testing.T) store.Configs) store.Configs {
	t.Helper()
	if c, ok := s.(io.Closer); ok {
		if err := c.Close(); err != nil {
			t.Fatalf("Close before reopen: %v", err)
		}
	}
	return reopen(t)
}

// equal compares connectors, treating nil and empty maps and slices alike.
func equal(a, b store.Connector) bool {
	return reflect.DeepEqual(normal(a), normal(b))
}

func normal(c store.Connector) store.Connector {
	c = clone(c)
	if c.Config == nil {
		c.Config = map[string]string{}
	}
	if len(c.Tasks) == 0 {
		c.Tasks = nil
	}
	for i, task := range c.Tasks {
		if task == nil {
			c.Tasks[i] = map[string]string{}
		}
	}
	return c
}

func clone(c store.Connector) store.Connector {
	out := c
	out.Config = maps.Clone(c.Config)
	out.Tasks = nil
	for _, task := range c.Tasks {
		out.Tasks = append(out.Tasks, maps.Clone(task))
	}
	return out
}
