package worker

import (
	"strings"
	"testing"
)

func TestDLQGuard(t *testing.T) {
	for _, tc := range []struct {
		name    string
		g       dlqGuard
		batches [][2]int // records processed, of which dead-lettered
		failAt  int      // index of the batch that fails, -1 for none
	}{
		{"off", dlqGuard{}, [][2]int{{100, 100}}, -1},
		{"under the ratio", dlqGuard{max: 0.1, window: 100}, [][2]int{{50, 5}, {50, 5}}, -1},
		{"over the ratio when the window fills", dlqGuard{max: 0.1, window: 100}, [][2]int{{50, 11}, {50, 0}}, 1},
		{"not before the window fills", dlqGuard{max: 0.1, window: 1000}, [][2]int{{100, 100}}, -1},
		{"windows reset", dlqGuard{max: 0.1, window: 100}, [][2]int{{100, 10}, {100, 10}, {100, 11}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g
			failed := -1
			for i, b := range tc.batches {
				for range b[1] {
					g.deadLettered()
				}
				if err := g.processed(b[0]); err != nil {
					if !strings.Contains(err.Error(), KeyDLQMaxRatio) {
						t.Errorf("error %q does not name the setting", err)
					}
					failed = i
					break
				}
			}
			if failed != tc.failAt {
				t.Fatalf("failed at batch %d, want %d", failed, tc.failAt)
			}
		})
	}
}
