package store_test

import (
	"path/filepath"
	"testing"

	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/store/storetest"
)

func TestMemoryConfigs(t *testing.T) {
	storetest.TestConfigs(t, func(t *testing.T) (store.Configs, func(*testing.T) store.Configs) {
		s := store.NewMemoryConfigs()
		t.Cleanup(func() { _ = s.Close() })
		return s, nil
	})
}

func TestMemoryOffsets(t *testing.T) {
	storetest.TestOffsets(t, func(t *testing.T) (store.Offsets, func(*testing.T) store.Offsets) {
		s := store.NewMemoryOffsets()
		t.Cleanup(func() { _ = s.Close() })
		return s, nil
	})
}

func TestFileConfigs(t *testing.T) {
	storetest.TestConfigs(t, func(t *testing.T) (store.Configs, func(*testing.T) store.Configs) {
		path := filepath.Join(t.TempDir(), "configs.json")
		open := func(t *testing.T) store.Configs {
			s, err := store.NewFileConfigs(path)
			if err != nil {
				t.Fatalf("NewFileConfigs: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
		return open(t), open
	})
}

func TestFileOffsets(t *testing.T) {
	storetest.TestOffsets(t, func(t *testing.T) (store.Offsets, func(*testing.T) store.Offsets) {
		path := filepath.Join(t.TempDir(), "offsets.json")
		open := func(t *testing.T) store.Offsets {
			s, err := store.NewFileOffsets(path)
			if err != nil {
				t.Fatalf("NewFileOffsets: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
		return open(t), open
	})
}

// The implementations satisfy the interfaces.
var (
	_ store.Configs = (*store.MemoryConfigs)(nil)
	_ store.Configs = (*store.FileConfigs)(nil)
	_ store.Offsets = (*store.MemoryOffsets)(nil)
	_ store.Offsets = (*store.FileOffsets)(nil)
	_ store.Syncer  = (*store.MemoryConfigs)(nil)
	_ store.Syncer  = (*store.FileConfigs)(nil)
	_ store.Syncer  = (*store.MemoryOffsets)(nil)
	_ store.Syncer  = (*store.FileOffsets)(nil)
)
