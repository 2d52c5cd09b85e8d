package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// BenchmarkFileOffsetsPut measures one offset flush: a Put of every partition
// of a connector, each at a new offset (the file is rewritten and fsynced),
// or all unchanged (no write).
func BenchmarkFileOffsetsPut(b *testing.B) {
	for _, tc := range []struct {
		partitions int
		changed    bool
	}{{1, true}, {10, true}, {100, true}, {100, false}} {
		name := fmt.Sprintf("partitions=%d", tc.partitions)
		if !tc.changed {
			name += "/unchanged"
		}
		b.Run(name, func(b *testing.B) {
			s, err := NewFileOffsets(filepath.Join(b.TempDir(), "offsets.json"))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			positions := make([]sdk.Position, tc.partitions)
			for i := range positions {
				positions[i] = sdk.Position{
					Partition: map[string]any{"filename": fmt.Sprintf("/var/log/app/%03d.log", i)},
					Offset:    map[string]any{"position": int64(0)},
				}
			}
			if err := s.Put(ctx, "file-source", positions); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := int64(0)
			for b.Loop() {
				if tc.changed {
					n++
					for i := range positions {
						positions[i].Offset = map[string]any{"position": n}
					}
				}
				if err := s.Put(ctx, "file-source", positions); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
