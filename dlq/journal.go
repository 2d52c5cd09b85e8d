package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// Journal entry types. Every replay or skip writes a start entry, progress
// entries as it goes, and an end entry; a run killed before its end entry
// is closed by the next run on the same dead-letter queue, which writes the
// end entry for it.
const (
	entryStart    = "start"
	entryProgress = "progress"
	entryEnd      = "end"
)

// Operations a run carries out.
const (
	opReplay = "replay"
	opSkip   = "skip"
)

// entry is one record of the audit topic: what a replay or skip did, who
// did it, when and why, and which dead-letter offsets it drained. The
// journal is the source of truth for what is drained; the drain group's
// committed offsets are its low-water mark, for Kafka tooling and as a
// shortcut.
type entry struct {
	Type  string `json:"type"`
	Op    string `json:"op,omitempty"`
	Run   string `json:"run"`
	Queue string `json:"dlq"`
	// TopicID is the dead-letter topic's id: entries about an earlier
	// topic of the same name are ignored.
	TopicID string    `json:"topic_id,omitempty"`
	Time    time.Time `json:"time"`
	Who     string    `json:"who,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	// To is source or sink for a replay; Topic overrides the source topic.
	To        string  `json:"to,omitempty"`
	Topic     string  `json:"topic,omitempty"`
	Connector string  `json:"connector,omitempty"`
	Filter    string  `json:"filter,omitempty"`
	Rate      float64 `json:"rate,omitempty"`
	// Drained lists the dead-letter offsets this entry drains, by partition.
	Drained map[int32]spans `json:"drained,omitempty"`
	// Count is how many records the entry drains (progress) or the run
	// drained in all (end); FailedAgain how many of them failed again in
	// the sink and were dead-lettered anew.
	Count       int64 `json:"count,omitempty"`
	FailedAgain int64 `json:"failed_again,omitempty"`
	// Targets are, per source topic and partition, an offset below which
	// the run has journaled everything it produced there: where the next
	// run looks for what this one produced after its last entry.
	Targets map[string]map[int32]int64 `json:"targets,omitempty"`
	// Status ends a run: done, interrupted, failed: …, or how an
	// interrupted run was closed by the next one.
	Status string `json:"status,omitempty"`
	// By is the run that wrote an end entry for another, interrupted run.
	By   string `json:"by,omitempty"`
	Note string `json:"note,omitempty"`
}

// journaled is an entry and its offset in the audit topic.
type journaled struct {
	at int64
	e  entry
}

// auditPartition is the audit topic partition that holds a queue's entries.
func auditPartition(queue string, partitions int) int32 {
	if partitions <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(queue))
	return int32(h.Sum32() % uint32(partitions))
}

// auditLayout returns the audit topic's partition count, and 0 when the
// topic does not exist yet.
func (d *Drainer) auditLayout(ctx context.Context) (int, error) {
	td, err := d.describe(ctx, d.o.auditTopic)
	if err != nil {
		return 0, err
	}
	return len(td[d.o.auditTopic].partitions), nil
}

// readJournal returns queue's entries in the audit partition from offset
// from up to the last stable offset, and the offset after the last read.
// It reads at least up to offset least (an entry just written): right
// after the audit topic is created, brokers may not know it for a moment.
func (d *Drainer) readJournal(ctx context.Context, queue string, partition int32, from, least int64) ([]journaled, int64, error) {
	end, err := d.journalEnd(ctx, partition, least)
	if err != nil {
		return nil, from, err
	}
	if end <= from {
		return nil, max(from, 0), nil
	}
	var out []journaled
	var bad int
	err = d.scan(ctx, d.o.auditTopic, map[int32]Span{partition: {from, end}}, scanOpts{committed: true}, func(r *kgo.Record) error {
		if string(r.Key) != queue {
			return nil
		}
		var e entry
		if err := json.Unmarshal(r.Value, &e); err != nil || e.Queue != queue {
			bad++
			return nil
		}
		out = append(out, journaled{at: r.Offset, e: e})
		return nil
	})
	if err != nil {
		return nil, from, err
	}
	if bad > 0 {
		d.o.log.Warn("skipped unreadable audit records", zap.String("topic", d.o.auditTopic), zap.Int("records", bad))
	}
	return out, end, nil
}

// journalEnd returns the last stable offset of the audit partition, once it
// is past least, retrying while the topic is too new to be known.
func (d *Drainer) journalEnd(ctx context.Context, partition int32, least int64) (int64, error) {
	// Long enough for a transaction left open by a killed drain of another
	// queue to time out (the writers' transaction timeout is 10 s).
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		ends, err := d.adm.ListCommittedOffsets(ctx, d.o.auditTopic)
		if err == nil {
			end, ok := ends.Lookup(d.o.auditTopic, partition)
			switch {
			case !ok:
				err = fmt.Errorf("no offsets for partition %d", partition)
			case end.Err != nil:
				err = end.Err
			case end.Offset > least:
				return end.Offset, nil
			default:
				err = fmt.Errorf("its last stable offset %d is not past %d yet", end.Offset, least)
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("list offsets of audit topic %s: %w", d.o.auditTopic, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// journalWriter appends a queue's entries to the audit topic with a
// transactional producer whose id is the queue's. Its first transaction
// fences any earlier writer for the same queue: of two concurrent drains of
// one queue, the earlier stops at its next entry with ErrFenced.
type journalWriter struct {
	cl         *kgo.Client
	topic      string
	partitions int
	partition  int32
	queue      string
}

func (d *Drainer) newJournalWriter(ctx context.Context, queue string) (*journalWriter, error) {
	n, err := d.auditLayout(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		created, err := d.createAudit(ctx)
		if err != nil {
			return nil, err
		}
		n = 1
		if !created {
			// Someone else created it a moment ago: ask how.
			if m, err := d.auditLayout(ctx); err == nil && m > 0 {
				n = m
			}
		}
	}
	cl, err := d.newClient(
		kgo.TransactionalID(Group(queue)),
		kgo.TransactionTimeout(10*time.Second),
		kgo.DefaultProduceTopic(d.o.auditTopic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(16<<20),
	)
	if err != nil {
		return nil, err
	}
	return &journalWriter{cl: cl, topic: d.o.auditTopic, partitions: n, partition: auditPartition(queue, n), queue: queue}, nil
}

// createAudit creates the audit topic: one partition, kept forever.
func (d *Drainer) createAudit(ctx context.Context) (created bool, err error) {
	cfg := map[string]*string{"retention.ms": ptr("-1"), "cleanup.policy": ptr("delete")}
	resp, err := d.adm.CreateTopic(ctx, 1, d.o.auditRF, cfg, d.o.auditTopic)
	if err == nil {
		err = resp.Err
	}
	switch {
	case errors.Is(err, kerr.TopicAlreadyExists):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("create audit topic %s: %w", d.o.auditTopic, err)
	}
	return true, nil
}

func ptr[T any](v T) *T { return &v }

// write appends entries in one transaction and returns their offsets.
func (w *journalWriter) write(ctx context.Context, es ...entry) ([]int64, error) {
	recs := make([]*kgo.Record, len(es))
	for i, e := range es {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode audit entry: %w", err)
		}
		recs[i] = &kgo.Record{Key: []byte(w.queue), Value: b, Partition: w.partition}
	}
	if err := w.cl.BeginTransaction(); err != nil {
		return nil, fmt.Errorf("journal %s: %w", w.queue, err)
	}
	res := w.cl.ProduceSync(ctx, recs...)
	perr := res.FirstErr()
	commit := kgo.TryCommit
	if perr != nil {
		commit = kgo.TryAbort
	}
	eerr := w.cl.EndTransaction(ctx, commit)
	if err := errors.Join(perr, eerr); err != nil {
		if fenced(err) {
			return nil, fmt.Errorf("journal %s: %w (%v)", w.queue, ErrFenced, err)
		}
		return nil, fmt.Errorf("journal %s to %s: %w", w.queue, w.topic, err)
	}
	offs := make([]int64, len(recs))
	for i, r := range res {
		offs[i] = r.Record.Offset
	}
	return offs, nil
}

func (w *journalWriter) close() { w.cl.Close() }

func fenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch)
}
