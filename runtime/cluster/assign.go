package cluster

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// ConnectorTask is the task number of the connector instance itself, as
// Kafka Connect's assignments write it (CONNECTOR_TASK).
const ConnectorTask = -1

// Item is one unit of work: a connector instance (Task == ConnectorTask) or
// one of its tasks.
type Item struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

func (i Item) String() string {
	if i.Task == ConnectorTask {
		return i.Connector
	}
	return fmt.Sprintf("%s-%d", i.Connector, i.Task)
}

func (i Item) isConnector() bool { return i.Task == ConnectorTask }

func compareItems(a, b Item) int {
	if c := cmp.Compare(a.Connector, b.Connector); c != 0 {
		return c
	}
	return cmp.Compare(a.Task, b.Task)
}

// Peer is one group member as the leader sees it.
type Peer struct {
	ID     string `json:"member"` // group member id, new on every join from scratch
	Worker string `json:"worker"` // worker id (host:port), stable across restarts
	URL    string `json:"url"`    // advertised REST URL
	Owned  []Item `json:"owned,omitempty"`
}

// Held is a departed worker's item that waits for the worker to return.
type Held struct {
	Item   Item      `json:"item"`
	Worker string    `json:"worker"`
	Since  time.Time `json:"since"`
}

// Input is what the leader knows when it assigns.
type Input struct {
	Members []Peer
	// Work is everything that should run somewhere.
	Work []Item
	// Previous is the last assignment: worker id → items.
	Previous map[string][]Item
	// Held are the items held back by the last assignment.
	Held     []Held
	Now      time.Time
	MaxDelay time.Duration // scheduled.rebalance.max.delay.ms
}

// Output is the leader's decision.
type Output struct {
	// Assigned is what each member (by member id) runs after this round,
	// sorted. It includes what the member keeps.
	Assigned map[string][]Item
	// Revoked is what each member must stop now.
	Revoked map[string][]Item
	// Held are a departed worker's items not assigned yet.
	Held []Held
	// Delay > 0 asks for another rebalance after it, when the first held
	// item's delay ends.
	Delay time.Duration
	// Rejoin reports revocations: the members that stop items rejoin, and
	// the follow-up round assigns those items elsewhere.
	Rejoin bool
}

// Assign computes an incremental, sticky, balanced assignment. It does no
// I/O and reads no clock.
func Assign(in Input) Output {
	out := Output{Assigned: map[string][]Item{}, Revoked: map[string][]Item{}}
	members := slices.Clone(in.Members)
	slices.SortFunc(members, func(a, b Peer) int { return cmp.Compare(a.ID, b.ID) })
	if len(members) == 0 {
		return out
	}
	work := map[Item]bool{}
	for _, it := range in.Work {
		work[it] = true
	}
	prevOwner := map[Item]string{}
	for w, items := range in.Previous {
		for _, it := range items {
			prevOwner[it] = w
		}
	}
	held := map[Item]Held{}
	for _, h := range in.Held {
		held[h.Item] = h
	}
	byWorker := map[string]string{} // worker → member id (first by id)
	for _, m := range members {
		if _, ok := byWorker[m.Worker]; !ok {
			byWorker[m.Worker] = m.ID
		}
	}

	// Keep what each member runs, once across the group.
	owner := map[Item]string{}
	has := map[string]map[Item]bool{}
	for _, m := range members {
		has[m.ID] = map[Item]bool{}
	}
	for _, m := range members {
		for _, it := range m.Owned {
			switch other, dup := owner[it]; {
			case !work[it]:
				out.Revoked[m.ID] = append(out.Revoked[m.ID], it)
			case dup:
				// Two members run it (a zombie came back): the previous
				// owner keeps it, the other stops.
				loser := m.ID
				if prevOwner[it] == m.Worker && byWorker[m.Worker] == m.ID {
					loser = other
					delete(has[other], it)
					owner[it] = m.ID
					has[m.ID][it] = true
				}
				out.Revoked[loser] = append(out.Revoked[loser], it)
			default:
				owner[it] = m.ID
				has[m.ID][it] = true
			}
		}
	}

	// Place what nobody runs: back to its returning worker, held for a
	// departed one, or free.
	var free []Item
	for _, it := range sortedItems(work) {
		if _, ok := owner[it]; ok {
			continue
		}
		w, since := prevOwner[it], in.Now
		if h, ok := held[it]; ok {
			w, since = h.Worker, h.Since
		}
		if w == "" {
			free = append(free, it)
			continue
		}
		if mid, ok := byWorker[w]; ok {
			owner[it] = mid
			has[mid][it] = true
			continue
		}
		if wait := since.Add(in.MaxDelay).Sub(in.Now); wait > 0 {
			out.Held = append(out.Held, Held{Item: it, Worker: w, Since: since})
			if out.Delay == 0 || wait < out.Delay {
				out.Delay = wait
			}
			continue
		}
		free = append(free, it)
	}

	// Balance connectors and tasks separately.
	for _, connectors := range []bool{true, false} {
		count := map[string]int{}
		total := 0
		for it := range work {
			if it.isConnector() == connectors {
				total++
			}
		}
		for _, m := range members {
			for it := range has[m.ID] {
				if it.isConnector() == connectors {
					count[m.ID]++
				}
			}
		}
		for _, it := range free {
			if it.isConnector() != connectors {
				continue
			}
			least := members[0].ID
			for _, m := range members[1:] {
				if count[m.ID] < count[least] {
					least = m.ID
				}
			}
			has[least][it] = true
			count[least]++
		}
		if len(out.Held) > 0 {
			continue // do not move work while a departed worker may return
		}
		// Quotas: the members holding most get the extra ones.
		order := slices.Clone(members)
		slices.SortStableFunc(order, func(a, b Peer) int { return cmp.Compare(count[b.ID], count[a.ID]) })
		base, extra := total/len(members), total%len(members)
		for i, m := range order {
			quota := base
			if i < extra {
				quota++
			}
			if count[m.ID] <= quota {
				continue
			}
			mine := sortedItems(has[m.ID])
			for j := len(mine) - 1; j >= 0 && count[m.ID] > quota; j-- {
				if mine[j].isConnector() != connectors {
					continue
				}
				delete(has[m.ID], mine[j])
				out.Revoked[m.ID] = append(out.Revoked[m.ID], mine[j])
				count[m.ID]--
				out.Rejoin = true
			}
		}
	}
	for _, m := range members {
		out.Assigned[m.ID] = sortedItems(has[m.ID])
		if r := out.Revoked[m.ID]; len(r) > 0 {
			slices.SortFunc(r, compareItems)
			out.Revoked[m.ID] = slices.Compact(r)
		}
	}
	for id, r := range out.Revoked {
		if len(r) == 0 {
			delete(out.Revoked, id)
		}
	}
	return out
}

func sortedItems(set map[Item]bool) []Item {
	out := make([]Item, 0, len(set))
	for it := range set {
		out = append(out, it)
	}
	slices.SortFunc(out, compareItems)
	return out
}
