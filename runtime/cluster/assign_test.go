package cluster

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func conn(name string, tasks int) []Item {
	out := []Item{{name, ConnectorTask}}
	for i := range tasks {
		out = append(out, Item{name, i})
	}
	return out
}

func items(s ...[]Item) []Item {
	var out []Item
	for _, x := range s {
		out = append(out, x...)
	}
	return out
}

func counts(out Output) map[string][2]int {
	c := map[string][2]int{}
	for m, its := range out.Assigned {
		var n [2]int
		for _, it := range its {
			if it.isConnector() {
				n[0]++
			} else {
				n[1]++
			}
		}
		c[m] = n
	}
	return c
}

var t0 = time.Unix(1_700_000_000, 0)

func TestAssign(t *testing.T) {
	work := items(conn("a", 4), conn("b", 4), conn("c", 1))
	for _, tc := range []struct {
		name        string
		in          Input
		wantCounts  map[string][2]int // member → connectors, tasks
		wantRevoked map[string]int
		wantHeld    int
		wantDelay   time.Duration
		wantRejoin  bool
	}{
		{
			name:       "fresh group is balanced",
			in:         Input{Members: []Peer{{ID: "m1", Worker: "w1"}, {ID: "m2", Worker: "w2"}, {ID: "m3", Worker: "w3"}}, Work: work, Now: t0},
			wantCounts: map[string][2]int{"m1": {1, 3}, "m2": {1, 3}, "m3": {1, 3}},
		},
		{
			name: "unchanged members keep their work",
			in: Input{Members: []Peer{
				{ID: "m1", Worker: "w1", Owned: items(conn("a", 4))},
				{ID: "m2", Worker: "w2", Owned: items(conn("b", 4))},
				{ID: "m3", Worker: "w3", Owned: items(conn("c", 1))},
			}, Work: work, Now: t0},
			// a and b each hold 5; quotas for tasks are 3,3,3: one each revoked.
			wantCounts:  map[string][2]int{"m1": {1, 3}, "m2": {1, 3}, "m3": {1, 1}},
			wantRevoked: map[string]int{"m1": 1, "m2": 1},
			wantRejoin:  true,
		},
		{
			name: "a departed worker's work is held within the delay",
			in: Input{Members: []Peer{
				{ID: "m1", Worker: "w1", Owned: []Item{{"a", -1}, {"a", 0}, {"a", 1}}},
				{ID: "m2", Worker: "w2", Owned: []Item{{"b", -1}, {"b", 0}, {"b", 1}}},
			}, Work: work, Now: t0, MaxDelay: 10 * time.Second,
				Previous: map[string][]Item{"w3": {{"a", 2}, {"a", 3}, {"b", 2}}}},
			wantCounts: map[string][2]int{"m1": {2, 3}, "m2": {1, 3}}, // c and its task and b-3 are new
			wantHeld:   3,
			wantDelay:  10 * time.Second,
		},
		{
			name: "held work goes back to its worker when it returns",
			in: Input{Members: []Peer{
				{ID: "m1", Worker: "w1", Owned: []Item{{"a", -1}, {"a", 0}, {"a", 1}}},
				{ID: "m2", Worker: "w2", Owned: []Item{{"b", -1}, {"b", 0}, {"b", 1}, {"b", 3}}},
				{ID: "m4", Worker: "w3"},
			}, Work: work, Now: t0.Add(5 * time.Second), MaxDelay: 10 * time.Second,
				Held: []Held{{Item{"a", 2}, "w3", t0}, {Item{"a", 3}, "w3", t0}, {Item{"b", 2}, "w3", t0}}},
			// w3's three tasks go back to it; c goes to m4 (fewest connectors), c-0 to m1 (fewest tasks).
			wantCounts: map[string][2]int{"m1": {1, 3}, "m2": {1, 3}, "m4": {1, 3}},
		},
		{
			name: "held work moves after the delay",
			in: Input{Members: []Peer{
				{ID: "m1", Worker: "w1", Owned: []Item{{"a", -1}, {"a", 0}, {"a", 1}, {"c", -1}, {"c", 0}}},
				{ID: "m2", Worker: "w2", Owned: []Item{{"b", -1}, {"b", 0}, {"b", 1}, {"b", 3}}},
			}, Work: work, Now: t0.Add(11 * time.Second), MaxDelay: 10 * time.Second,
				Held: []Held{{Item{"a", 2}, "w3", t0}, {Item{"a", 3}, "w3", t0}, {Item{"b", 2}, "w3", t0}}},
			wantCounts: map[string][2]int{"m1": {2, 5}, "m2": {1, 4}},
		},
		{
			name: "a task two members run stays with its previous owner",
			in: Input{Members: []Peer{
				{ID: "m1", Worker: "w1", Owned: []Item{{"c", -1}, {"c", 0}}},
				{ID: "m2", Worker: "w2", Owned: []Item{{"c", 0}}},
			}, Work: conn("c", 1), Now: t0, Previous: map[string][]Item{"w2": {{"c", 0}}}},
			wantCounts:  map[string][2]int{"m1": {1, 0}, "m2": {0, 1}},
			wantRevoked: map[string]int{"m1": 1},
		},
		{
			name: "deleted work is revoked",
			in: Input{Members: []Peer{
				{ID: "m1", Worker: "w1", Owned: items(conn("gone", 2), conn("c", 1))},
			}, Work: conn("c", 1), Now: t0},
			wantCounts:  map[string][2]int{"m1": {1, 1}},
			wantRevoked: map[string]int{"m1": 3},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := Assign(tc.in)
			if got := counts(out); !reflect.DeepEqual(got, tc.wantCounts) {
				t.Errorf("counts = %v, want %v\nassigned: %v", got, tc.wantCounts, out.Assigned)
			}
			rev := map[string]int{}
			for m, r := range out.Revoked {
				rev[m] = len(r)
			}
			if tc.wantRevoked == nil {
				tc.wantRevoked = map[string]int{}
			}
			if !reflect.DeepEqual(rev, tc.wantRevoked) {
				t.Errorf("revoked = %v, want %v", out.Revoked, tc.wantRevoked)
			}
			if len(out.Held) != tc.wantHeld || out.Delay != tc.wantDelay || out.Rejoin != tc.wantRejoin {
				t.Errorf("held %d delay %v rejoin %v; want %d %v %v", len(out.Held), out.Delay, out.Rejoin, tc.wantHeld, tc.wantDelay, tc.wantRejoin)
			}
			// No item is assigned twice, and none is both kept and revoked.
			seen := map[Item]string{}
			for m, its := range out.Assigned {
				for _, it := range its {
					if o, dup := seen[it]; dup {
						t.Errorf("%v assigned to %s and %s", it, o, m)
					}
					seen[it] = m
				}
			}
		})
	}
}

// TestAssignConverges runs rounds the way the group does (owners stop what
// is revoked, then rejoin) and checks that a joining worker receives work
// in at most two rounds, that nothing moves twice, and the result is
// balanced.
func TestAssignConverges(t *testing.T) {
	var work []Item
	for i := range 50 {
		work = append(work, conn(fmt.Sprintf("c%02d", i), 4)...)
	}
	peers := []Peer{{ID: "m1", Worker: "w1"}, {ID: "m2", Worker: "w2"}}
	var prev map[string][]Item
	moves := map[Item]int{}
	owner := map[Item]string{}
	round := func() Output {
		out := Assign(Input{Members: peers, Work: work, Previous: prev, Now: t0})
		prev = map[string][]Item{}
		for i := range peers {
			peers[i].Owned = out.Assigned[peers[i].ID]
			prev[peers[i].Worker] = out.Assigned[peers[i].ID]
			for _, it := range peers[i].Owned {
				if o, ok := owner[it]; ok && o != peers[i].ID {
					moves[it]++
				}
				owner[it] = peers[i].ID
			}
		}
		return out
	}
	round()
	peers = append(peers, Peer{ID: "m3", Worker: "w3"})
	rounds := 0
	for out := round(); out.Rejoin; out = round() {
		if rounds++; rounds > 3 {
			t.Fatal("no convergence in 3 rounds")
		}
	}
	for it, n := range moves {
		if n > 1 {
			t.Errorf("%v moved %d times", it, n)
		}
	}
	for _, p := range peers {
		var c, k int
		for _, it := range p.Owned {
			if it.isConnector() {
				c++
			} else {
				k++
			}
		}
		if c < 16 || c > 17 || k < 66 || k > 67 {
			t.Errorf("%s runs %d connectors and %d tasks; want 16-17 and 66-67", p.ID, c, k)
		}
	}
}
