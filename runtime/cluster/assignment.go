package cluster

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// protocolType is the group protocol type Freshet workers join with; it
// keeps Kafka Connect workers and consumers out of a Freshet group.
const protocolType = "freshet"

// protocolName names the one sub-protocol of version 1.
const protocolName = "freshet-v1"

// metadata is what a member advertises when it joins.
type metadata struct {
	Version int    `json:"version"`
	Worker  string `json:"worker"`
	URL     string `json:"url"`
	Owned   []Item `json:"owned,omitempty"`
}

// Assignment is the group's state after a rebalance, as every member
// learns it.
type Assignment struct {
	Version    int    `json:"version"`
	Generation int32  `json:"generation"`
	Leader     string `json:"leader"` // member id
	LeaderURL  string `json:"leader_url"`
	// Members lists every member with what it runs after this round.
	Members []Grant `json:"members"`
	// Revoked is, per member id, what it must stop.
	Revoked map[string][]Item `json:"revoked,omitempty"`
	Held    []Held            `json:"held,omitempty"`
	DelayMS int64             `json:"delay_ms,omitempty"`
	Rejoin  bool              `json:"rejoin,omitempty"`
}

// Grant is one member's part of an assignment.
type Grant struct {
	Member string `json:"member"`
	Worker string `json:"worker"`
	URL    string `json:"url"`
	Items  []Item `json:"items"`
}

// Mine returns the grant of member id.
func (a Assignment) Mine(id string) Grant {
	for _, g := range a.Members {
		if g.Member == id {
			return g
		}
	}
	return Grant{Member: id}
}

// Delay is when the leader rebalances again for held items.
func (a Assignment) Delay() time.Duration { return time.Duration(a.DelayMS) * time.Millisecond }

// byWorker is the assignment as worker id → items, the Previous of the next
// round.
func (a Assignment) byWorker() map[string][]Item {
	out := map[string][]Item{}
	for _, g := range a.Members {
		out[g.Worker] = append(out[g.Worker], g.Items...)
	}
	return out
}

// build turns the output of Assign into the assignment sent to everyone.
func build(gen int32, leader string, members []Peer, out Output) Assignment {
	a := Assignment{Version: 1, Generation: gen, Leader: leader, Revoked: out.Revoked, Held: out.Held,
		DelayMS: out.Delay.Milliseconds(), Rejoin: out.Rejoin}
	if out.Delay > 0 && a.DelayMS == 0 {
		a.DelayMS = 1
	}
	for _, m := range members {
		if m.ID == leader {
			a.LeaderURL = m.URL
		}
		a.Members = append(a.Members, Grant{Member: m.ID, Worker: m.Worker, URL: m.URL, Items: out.Assigned[m.ID]})
	}
	slices.SortFunc(a.Members, func(x, y Grant) int {
		if x.Worker != y.Worker {
			if x.Worker < y.Worker {
				return -1
			}
			return 1
		}
		if x.Member < y.Member {
			return -1
		}
		return 1
	})
	return a
}

func decodeAssignment(b []byte) (Assignment, error) {
	var a Assignment
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("decode assignment: %w", err)
	}
	if a.Version != 1 {
		return a, fmt.Errorf("decode assignment: unsupported version %d", a.Version)
	}
	return a, nil
}
