package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/store"
)

// NewOffsets makes a new, empty store for one test, with the same contract
// as NewConfigs.
type NewOffsets func(t *testing.T) (s store.Offsets, reopen func(t *testing.T) store.Offsets)

// TestOffsets runs the behaviour suite of store.Offsets against the stores
// newStore makes.
func TestOffsets(t *testing.T, newStore NewOffsets) {
	file := func(name string) map[string]any { return map[string]any{"filename": name} }
	pos := func(n int64) map[string]any { return map[string]any{"position": n} }

	t.Run("empty", func(t *testing.T) {
		s, _ := newStore(t)
		wantOffset(t, s, "c", file("/x"), nil)
		wantAll(t, s, "c")
	})

	t.Run("values round-trip as JSON gives them back", func(t *testing.T) {
		s, reopen := newStore(t)
		partition := map[string]any{"db": "shop", "table": "orders", "shard": int32(3)}
		offset := map[string]any{
			"int": 7, "int32": int32(-3), "uint16": uint16(9), "int64.max": int64(math.MaxInt64),
			"float": 1.5, "whole.float": float64(3), "json.number": json.Number("42"),
			"string": "lsn/0/16B3748", "bool": true, "null": nil, "bytes": []byte("hi"),
			"html": "<a&b>",
		}
		want := map[string]any{
			"int": int64(7), "int32": int64(-3), "uint16": int64(9), "int64.max": int64(math.MaxInt64),
			"float": 1.5, "whole.float": int64(3), "json.number": int64(42),
			"string": "lsn/0/16B3748", "bool": true, "null": nil, "bytes": "aGk=",
			"html": "<a&b>",
		}
		wantPartition := map[string]any{"db": "shop", "table": "orders", "shard": int64(3)}
		mustPutOffsets(t, s, "c", sdk.Position{Partition: partition, Offset: offset})
		check := func(s store.Offsets) {
			t.Helper()
			wantOffset(t, s, "c", partition, want)
			wantAll(t, s, "c", sdk.Position{Partition: wantPartition, Offset: want})
		}
		check(s)
		if reopen != nil {
			check(reopenOffsets(t, s, reopen))
		}
	})

	t.Run("equal partitions are one entry", func(t *testing.T) {
		s, _ := newStore(t)
		mustPutOffsets(t, s, "c", sdk.Position{Partition: map[string]any{"a": 1, "b": "x"}, Offset: pos(1)})
		for _, p := range []map[string]any{
			{"b": "x", "a": int64(1)},
			{"a": float64(1), "b": "x"},
			{"a": json.Number("1"), "b": "x"},
			{"a": uint8(1), "b": "x"},
		} {
			wantOffset(t, s, "c", p, pos(1))
		}
		mustPutOffsets(t, s, "c", sdk.Position{Partition: map[string]any{"b": "x", "a": float64(1)}, Offset: pos(2)})
		wantAll(t, s, "c", sdk.Position{Partition: map[string]any{"a": int64(1), "b": "x"}, Offset: pos(2)})
		// Different values or types are different partitions.
		wantOffset(t, s, "c", map[string]any{"a": "1", "b": "x"}, nil)
		wantOffset(t, s, "c", map[string]any{"a": 1}, nil)
		wantOffset(t, s, "c", map[string]any{"a": 1, "b": "x", "c": nil}, nil)
	})

	t.Run("connectors are independent", func(t *testing.T) {
		s, _ := newStore(t)
		mustPutOffsets(t, s, "a", sdk.Position{Partition: file("/x"), Offset: pos(1)})
		mustPutOffsets(t, s, "b", sdk.Position{Partition: file("/x"), Offset: pos(2)})
		wantOffset(t, s, "a", file("/x"), pos(1))
		wantOffset(t, s, "b", file("/x"), pos(2))
		if err := s.DeleteAll(t.Context(), "a"); err != nil {
			t.Fatalf("DeleteAll: %v", err)
		}
		wantAll(t, s, "a")
		wantAll(t, s, "b", sdk.Position{Partition: file("/x"), Offset: pos(2)})
	})

	t.Run("a nil offset is a tombstone", func(t *testing.T) {
		s, reopen := newStore(t)
		mustPutOffsets(t, s, "c",
			sdk.Position{Partition: file("/a"), Offset: pos(1)},
			sdk.Position{Partition: file("/b"), Offset: pos(2)})
		mustPutOffsets(t, s, "c",
			sdk.Position{Partition: file("/a")},
			sdk.Position{Partition: file("/never-stored")},
			sdk.Position{Partition: file("/empty"), Offset: map[string]any{}})
		check := func(s store.Offsets) {
			t.Helper()
			wantOffset(t, s, "c", file("/a"), nil)
			wantOffset(t, s, "c", file("/empty"), map[string]any{}) // {} is an offset, not a tombstone
			wantAll(t, s, "c",
				sdk.Position{Partition: file("/b"), Offset: pos(2)},
				sdk.Position{Partition: file("/empty"), Offset: map[string]any{}})
		}
		check(s)
		if reopen != nil {
			check(reopenOffsets(t, s, reopen))
		}
	})

	t.Run("the last position of a partition wins", func(t *testing.T) {
		s, _ := newStore(t)
		mustPutOffsets(t, s, "c",
			sdk.Position{Partition: file("/a"), Offset: pos(1)},
			sdk.Position{Partition: file("/b"), Offset: pos(5)},
			sdk.Position{Partition: file("/a"), Offset: pos(2)},
			sdk.Position{Partition: file("/b")})
		wantAll(t, s, "c", sdk.Position{Partition: file("/a"), Offset: pos(2)})
		mustPutOffsets(t, s, "c",
			sdk.Position{Partition: file("/a")},
			sdk.Position{Partition: file("/a"), Offset: pos(3)})
		wantAll(t, s, "c", sdk.Position{Partition: file("/a"), Offset: pos(3)})
	})

	t.Run("a bad position fails the whole put", func(t *testing.T) {
		good := sdk.Position{Partition: file("/good"), Offset: pos(1)}
		for _, tc := range []struct {
			name      string
			connector string
			bad       sdk.Position
		}{
			{"empty connector", "", good},
			{"nil partition", "c", sdk.Position{Offset: pos(1)}},
			{"map in partition", "c", sdk.Position{Partition: map[string]any{"m": map[string]any{"x": 1}}, Offset: pos(1)}},
			{"slice in offset", "c", sdk.Position{Partition: file("/bad"), Offset: map[string]any{"s": []any{1}}}},
			{"struct in offset", "c", sdk.Position{Partition: file("/bad"), Offset: map[string]any{"s": struct{}{}}}},
			{"NaN in offset", "c", sdk.Position{Partition: file("/bad"), Offset: map[string]any{"f": math.NaN()}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s, _ := newStore(t)
				mustPutOffsets(t, s, "c", sdk.Position{Partition: file("/kept"), Offset: pos(9)})
				err := s.Put(t.Context(), tc.connector, []sdk.Position{good, tc.bad})
				if !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("Put = %v; want an error wrapping ErrInvalid", err)
				}
				wantAll(t, s, "c", sdk.Position{Partition: file("/kept"), Offset: pos(9)})
			})
		}
	})

	t.Run("get of a nil partition is invalid", func(t *testing.T) {
		s, _ := newStore(t)
		if _, err := s.Get(t.Context(), "c", nil); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("Get(nil) = %v; want ErrInvalid", err)
		}
	})

	t.Run("all is sorted by key", func(t *testing.T) {
		s, _ := newStore(t)
		var put []sdk.Position
		for _, name := range []string{"/z", "/a", "/m", "/a/b", "/B"} {
			put = append(put, sdk.Position{Partition: file(name), Offset: pos(1)})
		}
		put = append(put, sdk.Position{Partition: map[string]any{"table": "t", "db": "d"}, Offset: pos(2)})
		mustPutOffsets(t, s, "c", put...)
		got, err := s.All(t.Context(), "c")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(put) {
			t.Fatalf("All returned %d positions; want %d", len(got), len(put))
		}
		keys := make([][]byte, len(got))
		for i, p := range got {
			if keys[i], err = store.OffsetKey("c", p.Partition); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.IsSortedFunc(keys, bytes.Compare) {
			t.Fatalf("All is not sorted by key: %q", keys)
		}
	})

	t.Run("delete all", func(t *testing.T) {
		s, reopen := newStore(t)
		mustPutOffsets(t, s, "c",
			sdk.Position{Partition: file("/a"), Offset: pos(1)},
			sdk.Position{Partition: file("/b"), Offset: pos(2)})
		if err := s.DeleteAll(t.Context(), "c"); err != nil {
			t.Fatalf("DeleteAll: %v", err)
		}
		if err := s.DeleteAll(t.Context(), "never-stored"); err != nil {
			t.Fatalf("DeleteAll of a connector without offsets: %v", err)
		}
		wantAll(t, s, "c")
		if reopen != nil {
			s = reopenOffsets(t, s, reopen)
			wantAll(t, s, "c")
		}
		// The connector can start over.
		mustPutOffsets(t, s, "c", sdk.Position{Partition: file("/a"), Offset: pos(7)})
		wantAll(t, s, "c", sdk.Position{Partition: file("/a"), Offset: pos(7)})
	})

	t.Run("stored values are copies", func(t *testing.T) {
		s, _ := newStore(t)
		p, o := file("/a"), pos(1)
		mustPutOffsets(t, s, "c", sdk.Position{Partition: p, Offset: o})
		o["position"] = int64(99)
		p["filename"] = "/changed"
		got, err := s.Get(t.Context(), "c", file("/a"))
		if err != nil {
			t.Fatal(err)
		}
		got["position"] = int64(100)
		all, err := s.All(t.Context(), "c")
		if err != nil {
			t.Fatal(err)
		}
		all[0].Offset["position"] = int64(101)
		all[0].Partition["filename"] = "/changed"
		wantAll(t, s, "c", sdk.Position{Partition: file("/a"), Offset: pos(1)})
	})

	t.Run("a done context fails every call and stores nothing", func(t *testing.T) {
		s, _ := newStore(t)
		mustPutOffsets(t, s, "c", sdk.Position{Partition: file("/a"), Offset: pos(1)})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		checks := map[string]error{}
		_, checks["Get"] = s.Get(ctx, "c", file("/a"))
		checks["Put"] = s.Put(ctx, "c", []sdk.Position{{Partition: file("/a"), Offset: pos(2)}})
		_, checks["All"] = s.All(ctx, "c")
		checks["DeleteAll"] = s.DeleteAll(ctx, "c")
		if sy, ok := s.(store.Syncer); ok {
			checks["Sync"] = sy.Sync(ctx)
		}
		for op, err := range checks {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled context = %v; want context.Canceled", op, err)
			}
		}
		wantAll(t, s, "c", sdk.Position{Partition: file("/a"), Offset: pos(1)})
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
		_, checks["Get"] = s.Get(t.Context(), "c", file("/a"))
		checks["Put"] = s.Put(t.Context(), "c", []sdk.Position{{Partition: file("/a"), Offset: pos(2)}})
		_, checks["All"] = s.All(t.Context(), "c")
		checks["DeleteAll"] = s.DeleteAll(t.Context(), "c")
		for op, err := range checks {
			if !errors.Is(err, store.ErrClosed) {
				t.Errorf("%s after Close = %v; want ErrClosed", op, err)
			}
		}
	})

	t.Run("reopen keeps every change", func(t *testing.T) {
		s, reopen := newStore(t)
		if reopen == nil {
			t.Skip("store has no durable state")
		}
		mustPutOffsets(t, s, "a", sdk.Position{Partition: file("/1"), Offset: pos(1)}, sdk.Position{Partition: file("/2"), Offset: pos(2)})
		mustPutOffsets(t, s, "b", sdk.Position{Partition: file("/1"), Offset: pos(3)})
		mustPutOffsets(t, s, "gone", sdk.Position{Partition: file("/1"), Offset: pos(4)})
		mustPutOffsets(t, s, "a", sdk.Position{Partition: file("/1"), Offset: pos(10)}, sdk.Position{Partition: file("/2")})
		if err := s.DeleteAll(t.Context(), "gone"); err != nil {
			t.Fatal(err)
		}
		check := func(s store.Offsets) {
			t.Helper()
			wantAll(t, s, "a", sdk.Position{Partition: file("/1"), Offset: pos(10)})
			wantAll(t, s, "b", sdk.Position{Partition: file("/1"), Offset: pos(3)})
			wantAll(t, s, "gone")
		}
		s = reopenOffsets(t, s, reopen)
		check(s)
		mustPutOffsets(t, s, "b", sdk.Position{Partition: file("/1"), Offset: pos(3)}) // unchanged
		s = reopenOffsets(t, s, reopen)
		check(s)
	})

	t.Run("concurrent puts are all stored", func(t *testing.T) {
		s, reopen := newStore(t)
		const writers, each = 8, 5
		var wg sync.WaitGroup
		errs := make(chan error, writers*each*2)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					p := file(fmt.Sprintf("/w%d/%d", w, i))
					errs <- s.Put(t.Context(), "c", []sdk.Position{{Partition: p, Offset: pos(int64(i))}})
					// Everyone also moves one shared partition.
					errs <- s.Put(t.Context(), "c", []sdk.Position{{Partition: file("/shared"), Offset: pos(int64(w))}})
					if _, err := s.Get(t.Context(), "c", p); err != nil {
						errs <- err
					}
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
		check := func(s store.Offsets) {
			t.Helper()
			all, err := s.All(t.Context(), "c")
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != writers*each+1 {
				t.Fatalf("All has %d positions; want %d", len(all), writers*each+1)
			}
			for w := range writers {
				for i := range each {
					wantOffset(t, s, "c", file(fmt.Sprintf("/w%d/%d", w, i)), pos(int64(i)))
				}
			}
			shared, err := s.Get(t.Context(), "c", file("/shared"))
			if n, ok := shared["position"].(int64); err != nil || !ok || n < 0 || n >= writers {
				t.Fatalf("shared partition = %v, %v; want one of the writes", shared, err)
			}
		}
		check(s)
		if reopen != nil {
			check(reopenOffsets(t, s, reopen))
		}
	})
}

func mustPutOffsets(t *testing.T, s store.Offsets, connector string, positions ...sdk.Position) {
	t.Helper()
	if err := s.Put(t.Context(), connector, positions); err != nil {
		t.Fatalf("Put(%q): %v", connector, err)
	}
}

func wantOffset(t *testing.T, s store.Offsets, connector string, partition, want map[string]any) {
	t.Helper()
	got, err := s.Get(t.Context(), connector, partition)
	if err != nil {
		t.Fatalf("Get(%q, %v): %v", connector, partition, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Get(%q, %v) = %#v; want %#v", connector, partition, got, want)
	}
}

func wantAll(t *testing.T, s store.Offsets, connector string, want ...sdk.Position) {
	t.Helper()
	got, err := s.All(t.Context(), connector)
	if err != nil {
		t.Fatalf("All(%q): %v", connector, err)
	}
	if len(got) != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
		t.Fatalf("All(%q) =\n%#v\nwant\n%#v", connector, got, want)
	}
}

func reopenOffsets(t *testing.T, s store.Offsets, reopen func(t *testing.T) store.Offsets) store.Offsets {
	t.Helper()
	if c, ok := s.(io.Closer); ok {
		if err := c.Close(); err != nil {
			t.Fatalf("Close before reopen: %v", err)
		}
	}
	return reopen(t)
}
