package dlq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KeyDLQTopic is the connector config key that names a dead-letter topic.
const KeyDLQTopic = "errors.deadletterqueue.topic.name"

// Queue is a dead-letter queue: a topic and the connectors that write to it.
type Queue struct {
	Topic      string   `json:"topic"`
	Connectors []string `json:"connectors"`
	// Configured is true when a connector config names the topic, false
	// when the topic was found by the dead-letter headers on its records
	// (a queue of a deleted connector, or of a Kafka Connect cluster).
	Configured bool `json:"configured"`
}

// Queues returns every dead-letter queue, sorted by topic: those named in
// the connector configs, and, with scan, every other topic whose latest
// record carries dead-letter headers (__connect.errors.* or
// __freshet.error.class).
func (d *Drainer) Queues(ctx context.Context, scan bool) ([]Queue, error) {
	byTopic := map[string]*Queue{}
	if d.o.conns != nil {
		cfgs, err := d.o.conns.ConnectorConfigs(ctx)
		if err != nil {
			return nil, fmt.Errorf("connector configs: %w", err)
		}
		for name, cfg := range cfgs {
			t := strings.TrimSpace(cfg[KeyDLQTopic])
			if t == "" {
				continue
			}
			q := byTopic[t]
			if q == nil {
				q = &Queue{Topic: t, Configured: true}
				byTopic[t] = q
			}
			q.Connectors = append(q.Connectors, name)
		}
	}
	if scan {
		td, err := d.adm.ListTopics(ctx)
		if err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
		var topics []string
		for t := range td {
			if byTopic[t] == nil && t != d.o.auditTopic && !strings.HasPrefix(t, "__") {
				topics = append(topics, t)
			}
		}
		found, err := d.probe(ctx, topics)
		if err != nil {
			return nil, err
		}
		for t, p := range found {
			if p.deadLetters {
				byTopic[t] = &Queue{Topic: t, Connectors: p.connectors}
			}
		}
	}
	out := make([]Queue, 0, len(byTopic))
	for _, q := range byTopic {
		sort.Strings(q.Connectors)
		q.Connectors = slices.Compact(q.Connectors)
		if q.Connectors == nil {
			q.Connectors = []string{}
		}
		out = append(out, *q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out, nil
}

// Resolve finds the dead-letter queue a target names: a connector (its
// errors.deadletterqueue.topic.name), a topic a connector config names as
// its dead-letter queue, or a topic whose latest record carries
// dead-letter headers. Anything else is an error wrapping ErrUnknownQueue
// or, for a connector without a dead-letter queue, ErrNoQueue.
func (d *Drainer) Resolve(ctx context.Context, target string) (Queue, error) {
	if target == "" {
		return Queue{}, fmt.Errorf("%w: name a connector or a dead-letter topic", ErrUnknownQueue)
	}
	var known []string
	if d.o.conns != nil {
		cfgs, err := d.o.conns.ConnectorConfigs(ctx)
		if err != nil {
			return Queue{}, fmt.Errorf("connector configs: %w", err)
		}
		topic := ""
		if cfg, ok := cfgs[target]; ok {
			topic = strings.TrimSpace(cfg[KeyDLQTopic])
			if topic == "" {
				return Queue{}, fmt.Errorf("connector %s has %w: set %s (with errors.tolerance=all) to route its failed records to one", target, ErrNoQueue, KeyDLQTopic)
			}
		}
		q := Queue{Topic: topic, Configured: true, Connectors: []string{}}
		for name, cfg := range cfgs {
			t := strings.TrimSpace(cfg[KeyDLQTopic])
			if t != "" {
				known = append(known, t)
			}
			if t != "" && (t == topic || (topic == "" && t == target)) {
				q.Connectors = append(q.Connectors, name)
				q.Topic = t
			}
		}
		if q.Topic != "" {
			sort.Strings(q.Connectors)
			return q, nil
		}
	}
	found, err := d.probe(ctx, []string{target})
	if err != nil {
		return Queue{}, err
	}
	if p := found[target]; p != nil && p.exists {
		if p.deadLetters {
			return Queue{Topic: target, Connectors: p.connectors}, nil
		}
		why := "it is empty"
		if p.records {
			why = "its latest records carry no __connect.errors.* or __freshet.error.class headers"
		}
		return Queue{}, fmt.Errorf("%w: topic %s is not a dead-letter queue: %s", ErrUnknownQueue, target, why)
	}
	sort.Strings(known)
	known = slices.Compact(known)
	hint := ""
	if len(known) > 0 {
		hint = " (dead-letter queues: " + strings.Join(known, ", ") + ")"
	} else if d.o.conns == nil {
		hint = " (connector configs were not available: only topics can be named)"
	}
	return Queue{}, fmt.Errorf("%w: no connector or topic named %s%s", ErrUnknownQueue, target, hint)
}

// connectorFor picks the connector a sink replay goes to: the target when
// it names one, else the queue's only connector.
func connectorFor(q Queue, target string) (string, error) {
	if slices.Contains(q.Connectors, target) {
		return target, nil
	}
	switch len(q.Connectors) {
	case 1:
		return q.Connectors[0], nil
	case 0:
		return "", fmt.Errorf("%w: no connector is known to write to %s: name the connector", ErrInvalid, q.Topic)
	default:
		return "", fmt.Errorf("%w: %s is the dead-letter queue of %s: name the connector", ErrInvalid, q.Topic, strings.Join(q.Connectors, ", "))
	}
}

// probed is what the latest records of a topic say.
type probed struct {
	exists      bool
	records     bool
	deadLetters bool
	connectors  []string
}

// probe reads the latest record of every partition of topics, all at once.
func (d *Drainer) probe(ctx context.Context, topics []string) (map[string]*probed, error) {
	out := map[string]*probed{}
	if len(topics) == 0 {
		return out, nil
	}
	starts, err := d.adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list start offsets: %w", err)
	}
	ends, err := d.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	want := map[string]map[int32]kgo.Offset{}
	last := map[string]map[int32]int64{}
	n := 0
	var lerr error
	ends.Each(func(e kadm.ListedOffset) {
		if errors.Is(e.Err, kerr.UnknownTopicOrPartition) {
			return
		}
		if e.Err != nil {
			lerr = fmt.Errorf("list end offsets of %s: %w", e.Topic, e.Err)
			return
		}
		p := out[e.Topic]
		if p == nil {
			p = &probed{exists: true}
			out[e.Topic] = p
		}
		s, ok := starts.Lookup(e.Topic, e.Partition)
		if !ok || s.Err != nil || e.Offset <= s.Offset {
			return
		}
		p.records = true
		if want[e.Topic] == nil {
			want[e.Topic], last[e.Topic] = map[int32]kgo.Offset{}, map[int32]int64{}
		}
		want[e.Topic][e.Partition] = kgo.NewOffset().At(e.Offset - 1)
		last[e.Topic][e.Partition] = e.Offset - 1
		n++
	})
	if lerr != nil {
		return nil, lerr
	}
	if n == 0 {
		return out, nil
	}
	cl, err := d.newClient(
		kgo.ConsumePartitions(want),
		kgo.KeepControlRecords(),
		kgo.FetchMaxPartitionBytes(1<<20),
		kgo.FetchMaxWait(200*time.Millisecond),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	pctx, cancel := context.WithTimeout(ctx, d.o.probeTimeout)
	defer cancel()
	seen := map[string]map[int32]bool{}
	for n > 0 && pctx.Err() == nil {
		fs := cl.PollFetches(pctx)
		if err := fetchErr(fs); err != nil {
			return nil, fmt.Errorf("read latest records: %w", err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < last[r.Topic][r.Partition] || seen[r.Topic][r.Partition] {
				return
			}
			if seen[r.Topic] == nil {
				seen[r.Topic] = map[int32]bool{}
			}
			seen[r.Topic][r.Partition] = true
			n--
			p := out[r.Topic]
			if r.Attrs.IsControl() || !isDeadLetter(r.Headers) {
				return
			}
			p.deadLetters = true
			m := indexHeaders(r.Headers)
			if c := m.str(fConnector); c != "" && !slices.Contains(p.connectors, c) {
				p.connectors = append(p.connectors, c)
			}
		})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
