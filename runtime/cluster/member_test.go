package cluster

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestLeaseFromTheClock(t *testing.T) {
	m := NewMember(nil, Config{SessionTimeout: 10 * time.Second, HeartbeatInterval: 3 * time.Second}, nil)
	for _, tc := range []struct {
		name  string
		sent  time.Time // zero: no membership
		fresh bool
	}{
		{"no membership", time.Time{}, false},
		{"heartbeat just sent", time.Now(), true},
		{"within session minus margin", time.Now().Add(-6 * time.Second), true},
		{"inside the margin", time.Now().Add(-8 * time.Second), false},
		{"resumed after a pause past the session", time.Now().Add(-time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.lease.Store(0)
			if !tc.sent.IsZero() {
				m.renew(tc.sent)
			}
			if got := m.Fresh(); got != tc.fresh {
				t.Fatalf("Fresh() = %v, want %v", got, tc.fresh)
			}
			if end := m.LeaseEnd(); end.After(time.Now()) != tc.fresh {
				t.Fatalf("LeaseEnd() = %v, want after now only when fresh", end)
			}
			if err := m.Guard(); (err == nil) != tc.fresh {
				t.Fatalf("Guard() = %v, want nil only when fresh", err)
			}
		})
	}
}

// coordinator is a one-member group coordinator whose heartbeat answer a
// test controls.
type coordinator struct {
	hb     atomic.Int32 // 0: ok; 1: unreachable; else an error code
	joined atomic.Int32 // JoinGroup requests, used as the generation
}

func (c *coordinator) Request(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	switch r := req.(type) {
	case *kmsg.JoinGroupRequest:
		resp := r.ResponseKind().(*kmsg.JoinGroupResponse)
		resp.Generation, resp.LeaderID, resp.MemberID = c.joined.Add(1), "m1", "m1"
		resp.Protocol = kmsg.StringPtr(protocolName)
		resp.Members = []kmsg.JoinGroupResponseMember{{MemberID: "m1", ProtocolMetadata: r.Protocols[0].Metadata}}
		return resp, nil
	case *kmsg.SyncGroupRequest:
		resp := r.ResponseKind().(*kmsg.SyncGroupResponse)
		resp.MemberAssignment = r.GroupAssignment[0].MemberAssignment
		return resp, nil
	case *kmsg.HeartbeatRequest:
		switch code := c.hb.Load(); code {
		case 0:
			return r.ResponseKind(), nil
		case 1:
			<-ctx.Done()
			return nil, ctx.Err()
		default:
			resp := r.ResponseKind().(*kmsg.HeartbeatResponse)
			resp.ErrorCode = int16(code)
			return resp, nil
		}
	case *kmsg.LeaveGroupRequest:
		return r.ResponseKind(), nil
	}
	return nil, errors.New("unexpected request")
}

// lossRecorder records Lost calls and whether the lease still held then.
type lossRecorder struct {
	m         *Member
	mu        sync.Mutex
	lost      int
	freshLost bool
}

func (h *lossRecorder) Work(context.Context) ([]Item, error)               { return nil, nil }
func (h *lossRecorder) Assigned(context.Context, Assignment, string) error { return nil }
func (h *lossRecorder) Lost(context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lost++
	h.freshLost = h.freshLost || h.m.Fresh()
}

func (h *lossRecorder) count() (int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lost, h.freshLost
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestLeaseLapsesBeforeTheSessionAndOnFencing(t *testing.T) {
	const session = 600 * time.Millisecond
	for _, tc := range []struct {
		name string
		hb   int32
	}{
		{"coordinator unreachable", 1},
		{"unknown member", int32(kerr.UnknownMemberID.Code)},
		{"wrong generation", int32(kerr.IllegalGeneration.Code)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &coordinator{}
			h := &lossRecorder{}
			m := NewMember(c, Config{Group: "g", Worker: "w", SessionTimeout: session,
				HeartbeatInterval: 50 * time.Millisecond, RebalanceTimeout: time.Second}, h)
			h.m = m
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = m.Run(ctx) }()
			defer func() { cancel(); <-done }()

			waitUntil(t, "the first lease", m.Fresh)
			time.Sleep(session + 100*time.Millisecond)
			if !m.Fresh() {
				t.Fatal("lease lapsed while heartbeats succeed")
			}
			cut := time.Now()
			c.hb.Store(tc.hb)
			if tc.hb == 1 {
				// No answer: the lease lapses from the clock alone, before
				// the session could expire at the coordinator.
				waitUntil(t, "the lease to lapse", func() bool { return !m.Fresh() })
				if d := time.Since(cut); d >= session {
					t.Fatalf("lease lapsed %s after the cut, not before the session timeout", d)
				}
			}
			waitUntil(t, "the membership lost", func() bool { n, _ := h.count(); return n > 0 })
			if _, fresh := h.count(); fresh {
				t.Fatal("Lost was called while the lease still held; want it lapsed first")
			}
			c.hb.Store(0)
			time.Sleep(100 * time.Millisecond)
			waitUntil(t, "the lease back after rejoining", m.Fresh)
		})
	}
}
