package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
)

// Requestor sends Kafka requests; *kgo.Client is one, and routes group
// requests to the group's coordinator.
type Requestor interface {
	Request(ctx context.Context, req kmsg.Request) (kmsg.Response, error)
}

// Handler is the herder's side of membership. Member calls it from Run's
// goroutine, one call at a time.
type Handler interface {
	// Work returns every item that should run in the cluster. Only the
	// leader calls it, after it caught up with the configs.
	Work(ctx context.Context) ([]Item, error)
	// Assigned delivers a new assignment. It must return only once this
	// member's revoked items (a.Revoked[self]) have stopped; it may start
	// the new ones in the background.
	Assigned(ctx context.Context, a Assignment, self string) error
	// Lost reports that this member lost its membership (its session
	// expired, or the coordinator forgot it): it must stop everything now,
	// before the leader hands its work to someone else.
	Lost(ctx context.Context)
}

// Config configures a Member.
type Config struct {
	Group             string
	Worker            string // worker id, host:port
	URL               string // advertised REST URL
	SessionTimeout    time.Duration
	HeartbeatInterval time.Duration
	RebalanceTimeout  time.Duration
	MaxDelay          time.Duration // scheduled.rebalance.max.delay.ms
	Log               *zap.Logger
}

// Member is this worker's membership in the group.
type Member struct {
	req Requestor
	cfg Config
	h   Handler
	log *zap.Logger

	rejoin chan struct{}

	// Owned by Run's goroutine.
	memberID string
	owned    []Item
	last     Assignment
	lastOK   time.Time
	syncSent time.Time // when the last successful SyncGroup was sent

	// lease is when the last request that kept the session alive (a
	// SyncGroup or a heartbeat the coordinator accepted) was sent, in Unix
	// nanoseconds; 0 while this member holds no membership. Read by Fresh
	// from any goroutine.
	lease atomic.Int64

	mu    sync.Mutex
	state Assignment
	self  string
	ok    bool // state is the current generation's
}

// NewMember returns a member; Run joins.
func NewMember(req Requestor, cfg Config, h Handler) *Member {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	return &Member{req: req, cfg: cfg, h: h, log: cfg.Log, rejoin: make(chan struct{}, 1)}
}

// Rejoin asks for a rebalance, as the leader does when the set of
// connectors or tasks changed.
func (m *Member) Rejoin() {
	select {
	case m.rejoin <- struct{}{}:
	default:
	}
}

// State returns the latest assignment and this member's id; ok is false
// during a rebalance or before the first one.
func (m *Member) State() (a Assignment, self string, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state, m.self, m.ok
}

// Leader returns the leader's REST URL and whether this member is the
// leader; ok is false while there is no current generation (a rebalance).
func (m *Member) Leader() (url string, self, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.LeaderURL, m.ok && m.state.Leader == m.self, m.ok
}

// Generation returns the current generation and whether this member leads
// it; the herder checks it before every config write.
func (m *Member) Generation() (gen int32, leader, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.Generation, m.ok && m.state.Leader == m.self, m.ok
}

func (m *Member) setState(a Assignment, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ok {
		m.state, m.self = a, m.memberID
	}
	m.ok = ok
}

// errLost is a lost membership: the coordinator no longer knows us.
var errLost = errors.New("group membership lost")

// Run joins the group and keeps this member in it until ctx ends, then
// leaves the group (after the handler stopped everything, so that the
// others need not wait for the session to expire).
func (m *Member) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		a, err := m.joinAndSync(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, errLost) {
				m.lose(ctx)
			}
			m.log.Info("rebalance failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			sleep(ctx, backoff)
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		m.lastOK = time.Now()
		m.renew(m.syncSent)
		m.last = a
		m.setState(a, true) // before the handler, which may ask for it
		if err := m.h.Assigned(ctx, a, m.memberID); err != nil {
			m.log.Warn("applying the assignment failed", zap.Error(err))
		}
		m.owned = a.Mine(m.memberID).Items
		m.log.Info("assignment applied", zap.Int32("generation", a.Generation), zap.Bool("leader", a.Leader == m.memberID),
			zap.Int("items", len(m.owned)), zap.Int("revoked", len(a.Revoked[m.memberID])), zap.Int("held", len(a.Held)))
		err = m.heartbeat(ctx, a)
		m.setState(a, false)
		if errors.Is(err, errLost) {
			m.log.Warn("group membership lost; stopping every task", zap.Error(err))
			m.lose(ctx)
		}
	}
	m.leave()
	return nil
}

func (m *Member) lose(ctx context.Context) {
	m.lease.Store(0) // before the handler: writes stop now, not once tasks have
	m.h.Lost(ctx)
	m.owned = nil
	m.memberID = ""
}

// heartbeat keeps the session until a rebalance is needed (nil) or the
// membership is lost (errLost).
func (m *Member) heartbeat(ctx context.Context, a Assignment) error {
	if a.Rejoin && len(a.Revoked[m.memberID]) > 0 {
		return nil // we stopped what moves: rejoin so it is assigned elsewhere
	}
	var delay <-chan time.Time
	if a.Leader == m.memberID && a.DelayMS > 0 {
		t := time.NewTimer(a.Delay())
		defer t.Stop()
		delay = t.C
	}
	tick := time.NewTicker(m.cfg.HeartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.rejoin:
			return nil
		case <-delay:
			return nil
		case <-tick.C:
		}
		// A process that was stopped (SIGSTOP, a long GC, a frozen VM)
		// finds its session expired: stop before anything else runs on.
		if time.Since(m.lastOK) > m.cfg.SessionTimeout {
			return fmt.Errorf("%w: no heartbeat for %s", errLost, time.Since(m.lastOK).Round(time.Millisecond))
		}
		hctx, cancel := context.WithTimeout(ctx, m.cfg.HeartbeatInterval)
		sent := time.Now()
		req := kmsg.NewPtrHeartbeatRequest()
		req.Group, req.Generation, req.MemberID = m.cfg.Group, a.Generation, m.memberID
		resp, err := req.RequestWith(hctx, m.req)
		cancel()
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		switch {
		case err == nil:
			m.lastOK = time.Now()
			m.renew(sent)
		case errors.Is(err, kerr.RebalanceInProgress):
			m.renew(sent) // the coordinator still counts us in
			return nil
		case errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.IllegalGeneration), errors.Is(err, kerr.FencedInstanceID):
			m.lease.Store(0)
			return fmt.Errorf("%w: heartbeat: %w", errLost, err)
		default:
			m.log.Debug("heartbeat failed", zap.Error(err))
		}
	}
}

// joinAndSync runs one rebalance: JoinGroup, the leader's assignment,
// SyncGroup.
func (m *Member) joinAndSync(ctx context.Context) (Assignment, error) {
	meta, _ := json.Marshal(metadata{Version: 1, Worker: m.cfg.Worker, URL: m.cfg.URL, Owned: m.owned})
	ctx, cancel := context.WithTimeout(ctx, m.cfg.RebalanceTimeout+m.cfg.SessionTimeout)
	defer cancel()
	var join *kmsg.JoinGroupResponse
	for {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Group = m.cfg.Group
		req.SessionTimeoutMillis = int32(m.cfg.SessionTimeout.Milliseconds())
		req.RebalanceTimeoutMillis = int32(m.cfg.RebalanceTimeout.Milliseconds())
		req.MemberID = m.memberID
		req.ProtocolType = protocolType
		req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: protocolName, Metadata: meta}}
		sent := time.Now()
		resp, err := req.RequestWith(ctx, m.req)
		if err != nil {
			return Assignment{}, fmt.Errorf("join group %s: %w", m.cfg.Group, err)
		}
		err = kerr.ErrorForCode(resp.ErrorCode)
		switch {
		case err == nil:
			if m.memberID != "" && m.lease.Load() != 0 {
				m.renew(sent) // a long rebalance keeps the lease of a member that stayed in
			}
		case errors.Is(err, kerr.MemberIDRequired):
			m.memberID = resp.MemberID
			continue
		case errors.Is(err, kerr.UnknownMemberID):
			if m.memberID == "" {
				return Assignment{}, fmt.Errorf("join group %s: %w", m.cfg.Group, err)
			}
			m.lease.Store(0)
			return Assignment{}, fmt.Errorf("%w: join group %s: %w", errLost, m.cfg.Group, err)
		case errors.Is(err, kerr.RebalanceInProgress):
			continue
		default:
			return Assignment{}, fmt.Errorf("join group %s: %w", m.cfg.Group, err)
		}
		join = resp
		break
	}
	m.memberID = join.MemberID
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.Generation, sync.MemberID = m.cfg.Group, join.Generation, m.memberID
	pt, pn := protocolType, protocolName
	sync.ProtocolType, sync.Protocol = &pt, &pn
	if join.LeaderID == m.memberID {
		a, err := m.lead(ctx, join)
		if err != nil {
			return Assignment{}, err
		}
		b, _ := json.Marshal(a)
		for _, mem := range join.Members {
			sync.GroupAssignment = append(sync.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: mem.MemberID, MemberAssignment: b})
		}
	}
	m.syncSent = time.Now()
	resp, err := sync.RequestWith(ctx, m.req)
	if err != nil {
		return Assignment{}, fmt.Errorf("sync group %s: %w", m.cfg.Group, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		if errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.IllegalGeneration) {
			m.lease.Store(0)
			return Assignment{}, fmt.Errorf("%w: sync group %s: %w", errLost, m.cfg.Group, err)
		}
		return Assignment{}, fmt.Errorf("sync group %s: %w", m.cfg.Group, err)
	}
	return decodeAssignment(resp.MemberAssignment)
}

// lead computes the assignment of a generation this member leads.
func (m *Member) lead(ctx context.Context, join *kmsg.JoinGroupResponse) (Assignment, error) {
	work, err := m.h.Work(ctx)
	if err != nil {
		return Assignment{}, fmt.Errorf("leader: read the work to assign: %w", err)
	}
	members := make([]Peer, 0, len(join.Members))
	for _, jm := range join.Members {
		var md metadata
		if err := json.Unmarshal(jm.ProtocolMetadata, &md); err != nil {
			m.log.Warn("member metadata unreadable", zap.String("member", jm.MemberID), zap.Error(err))
		}
		members = append(members, Peer{ID: jm.MemberID, Worker: md.Worker, URL: md.URL, Owned: md.Owned})
	}
	out := Assign(Input{Members: members, Work: work, Previous: m.last.byWorker(), Held: m.last.Held,
		Now: time.Now(), MaxDelay: m.cfg.MaxDelay})
	return build(join.Generation, m.memberID, members, out), nil
}

// renew extends the lease from sent, when a request that kept the session
// alive was sent.
func (m *Member) renew(sent time.Time) { m.lease.Store(sent.UnixNano()) }

// leaseMargin is how long before the session could expire at the
// coordinator the lease lapses: a heartbeat interval, at most a third of
// the session, so that a heartbeat or two may fail without pausing writes.
func (m *Member) leaseMargin() time.Duration {
	return min(m.cfg.HeartbeatInterval, m.cfg.SessionTimeout/3)
}

// Fresh reports whether this member surely still holds its membership: the
// last request that kept its session alive was sent less than the session
// timeout, minus a margin, ago, and the coordinator did not since say it
// forgot the member or moved to a newer generation. It is a lease read from
// the clock, not from the member's goroutine, so a process resumed after a
// pause (SIGSTOP, a long GC) sees it lapsed at once, before its heartbeat
// loop notices. It is safe for concurrent use.
func (m *Member) Fresh() bool {
	at := m.lease.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < m.cfg.SessionTimeout-m.leaseMargin()
}

// LeaseEnd is when Fresh turns false unless a heartbeat renews the lease
// first; the zero time while this member holds no membership. Producers use
// it as their records' deadline (worker.WithWriteDeadline).
func (m *Member) LeaseEnd() time.Time {
	at := m.lease.Load()
	if at == 0 {
		return time.Time{}
	}
	return time.Unix(0, at).Add(m.cfg.SessionTimeout - m.leaseMargin())
}

// Guard is Fresh as an error, for worker.WithWriteGuard: nil while this
// member's lease holds.
func (m *Member) Guard() error {
	at := m.lease.Load()
	if at == 0 {
		return errors.New("no group membership")
	}
	if age := time.Since(time.Unix(0, at)); age >= m.cfg.SessionTimeout-m.leaseMargin() {
		return fmt.Errorf("membership lease lapsed: last heartbeat sent %s ago (session timeout %s)", age.Round(time.Millisecond), m.cfg.SessionTimeout)
	}
	return nil
}

// leave tells the coordinator we are gone, so the group rebalances now.
func (m *Member) leave() {
	if m.memberID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group, req.MemberID = m.cfg.Group, m.memberID
	req.Members = []kmsg.LeaveGroupRequestMember{{MemberID: m.memberID}}
	if _, err := req.RequestWith(ctx, m.req); err != nil {
		m.log.Info("leave group", zap.Error(err))
	}
	m.memberID = ""
	m.lease.Store(0)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
