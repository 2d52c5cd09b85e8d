package dlq

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Drainer lists, inspects, replays and skips dead-letter records. It is
// safe for concurrent use; concurrent replays or skips of one dead-letter
// queue fence each other (the later one wins, the earlier one stops with
// ErrFenced).
type Drainer struct {
	clientOpts []kgo.Opt
	cl         *kgo.Client // metadata, offsets, admin
	adm        *kadm.Client
	o          options

	mu    sync.Mutex             // guards queue
	queue map[string]*sync.Mutex // one drain at a time per dead-letter topic in this process
}

// lockQueue serialises drains of one dead-letter topic in this process: a
// rerun waits until a run whose client went away has delivered and recorded
// its last batch, so it never delivers that batch again.
func (d *Drainer) lockQueue(topic string) func() {
	d.mu.Lock()
	if d.queue == nil {
		d.queue = map[string]*sync.Mutex{}
	}
	m := d.queue[topic]
	if m == nil {
		m = &sync.Mutex{}
		d.queue[topic] = m
	}
	d.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// New returns a Drainer that reaches Kafka with clientOpts (seed brokers,
// TLS, SASL: what runtime/kafka.ClientOpts returns).
func New(clientOpts []kgo.Opt, opts ...Option) (*Drainer, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("dlq options: %w", err)
	}
	// A short metadata age: the admin client's cache otherwise remembers
	// for 5 s that a topic did not exist.
	cl, err := kgo.NewClient(append(slices.Clone(clientOpts), kgo.MetadataMinAge(250*time.Millisecond))...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return &Drainer{clientOpts: slices.Clip(clientOpts), cl: cl, adm: kadm.NewClient(cl), o: o}, nil
}

// Close releases the Drainer's Kafka client. Calls in flight fail.
func (d *Drainer) Close() { d.cl.Close() }

// AuditTopic returns the topic drains are journaled to.
func (d *Drainer) AuditTopic() string { return d.o.auditTopic }

// Group returns the drain consumer group of a dead-letter topic.
func Group(topic string) string { return GroupPrefix + topic }

// newClient returns a client with the Drainer's connection options plus opts.
func (d *Drainer) newClient(opts ...kgo.Opt) (*kgo.Client, error) {
	all := append(slices.Clone(d.clientOpts), opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return cl, nil
}

// newRunID returns a run id that sorts by start time.
func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
