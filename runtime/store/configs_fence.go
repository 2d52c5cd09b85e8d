package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrFenced is a config write refused because a newer leader took over the
// config topic: this worker no longer leads.
var ErrFenced = errors.New("fenced by a newer leader")

// leaderTxnID is the transactional id every leader of the cluster whose
// configs live in topic writes with: there is one per cluster, so a new
// leader's producer fences the old one's.
func leaderTxnID(topic string) string { return "freshet-configs-" + topic }

// Lead makes this store write as the cluster's leader: through a
// transactional producer whose id is the same for every leader of the
// cluster, initialised now. Initialising it fences every producer with that
// id opened before, so an old leader that still believes it leads (one
// paused past its session, say) fails to write, and since readers read
// committed records only, none of its writes is ever applied, even after
// compaction. Call it each time this worker becomes the leader of a new
// generation.
func (s *KafkaConfigs) Lead(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.closeLeader()
	opts := append(append([]kgo.Opt{}, s.opts...), kgo.TransactionalID(leaderTxnID(s.t.topic)),
		kgo.DefaultProduceTopic(s.t.topic), kgo.ProducerLinger(0))
	cl, err := kgo.NewClient(opts...)
	if err == nil {
		if _, _, err = cl.ProducerID(ctx); err != nil {
			cl.Close()
		}
	}
	if err != nil {
		s.leadErr = fmt.Errorf("take over the config topic %s as leader: %w", s.t.topic, err)
		return s.leadErr
	}
	s.leader = cl
	return nil
}

// Follow stops writing as the leader, when another worker leads.
func (s *KafkaConfigs) Follow() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.closeLeader()
}

// closeLeader is called with wmu held.
func (s *KafkaConfigs) closeLeader() {
	if s.leader != nil {
		s.leader.Close()
	}
	s.leader, s.leadErr = nil, nil
}

// write produces recs as the leader when this store leads (in one
// transaction), else directly, and waits until the tail has read them.
func (s *KafkaConfigs) write(ctx context.Context, recs ...*kgo.Record) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.leadErr != nil {
		return s.leadErr
	}
	if s.leader == nil {
		return s.t.write(ctx, recs...)
	}
	cl := s.leader
	if err := cl.BeginTransaction(); err != nil {
		return fmt.Errorf("write to %s: begin transaction: %w", s.t.topic, err)
	}
	for _, r := range recs {
		r.Topic = s.t.topic
	}
	res := cl.ProduceSync(ctx, recs...)
	perr := res.FirstErr()
	commit := kgo.TryCommit
	if perr != nil {
		commit = kgo.TryAbort
	}
	eerr := cl.EndTransaction(context.WithoutCancel(ctx), commit)
	if err := errors.Join(perr, eerr); err != nil {
		if errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) {
			s.closeLeader()
			s.leadErr = fmt.Errorf("write to %s: %w: %w", s.t.topic, ErrFenced, err)
			return s.leadErr
		}
		return fmt.Errorf("write to %s: %w", s.t.topic, err)
	}
	want := map[int32]int64{}
	for _, r := range res {
		want[r.Record.Partition] = max(want[r.Record.Partition], r.Record.Offset+1)
	}
	return s.t.waitFor(ctx, want)
}
