package dlq

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// DefaultAuditTopic is where drains are journaled unless WithAuditTopic
// says otherwise.
const DefaultAuditTopic = "freshet-dlq-audit"

// GroupPrefix starts the name of each dead-letter queue's drain consumer
// group: freshet-dlq-drain-<dead-letter topic>.
const GroupPrefix = "freshet-dlq-drain-"

// Connectors returns the configs of the connectors a worker (or cluster)
// runs, by name. The dead-letter queues a Drainer knows are the ones these
// configs name in errors.deadletterqueue.topic.name.
type Connectors interface {
	ConnectorConfigs(ctx context.Context) (map[string]map[string]string, error)
}

// ConnectorsFunc adapts a function to Connectors.
type ConnectorsFunc func(ctx context.Context) (map[string]map[string]string, error)

// ConnectorConfigs calls f.
func (f ConnectorsFunc) ConnectorConfigs(ctx context.Context) (map[string]map[string]string, error) {
	return f(ctx)
}

// SinkReplayer hands dead-letter records straight to a running sink
// connector, so that other consumers of the source topic see nothing twice.
// The worker implements it.
type SinkReplayer interface {
	// Ready returns nil when connector is a sink running on this worker
	// that can take replayed records, and otherwise an error wrapping
	// ErrNotRunning that says why (unknown, paused, failed, a source).
	Ready(ctx context.Context, connector string) error
	// Replay runs recs through the connector's sink path as if consumed:
	// header, key and value conversion, transforms, Put and Flush, retrying
	// retriable failures per the connector's errors.retry.* settings. It
	// returns when every record not in failed is durably written by the
	// sink. Each record's Topic, Partition and Offset are where it
	// originally failed, not a position to commit: Replay must not commit
	// or track them as the connector's consumer offsets.
	//
	// failed maps the index in recs of each record that failed again to
	// its error; errors.tolerance does not apply and Replay must not
	// dead-letter them itself (the Drainer writes them back to the
	// dead-letter queue with attempt+1). A *StageError says in which stage
	// a record failed (TASK_PUT is assumed otherwise). A non-nil err means
	// the batch as a whole was not written.
	Replay(ctx context.Context, connector string, recs []*kgo.Record) (failed map[int]error, err error)
}

// StageError says where in the sink path a replayed record failed.
type StageError struct {
	Stage          string // KEY_CONVERTER, VALUE_CONVERTER, TRANSFORMATION, TASK_PUT, …
	ExecutingClass string // the converter, transform or sink task class
	Err            error
}

func (e *StageError) Error() string { return e.Stage + ": " + e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

// Option configures a Drainer.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	conns         Connectors
	sink          SinkReplayer
	auditTopic    string
	auditRF       int16
	log           *zap.Logger
	now           func() time.Time
	batchRecords  int
	batchEvery    time.Duration
	sinkBatch     int
	fetchMaxBytes int32
	probeTimeout  time.Duration
	workerID      string
}

func defaultOptions() options {
	return options{
		auditTopic:    DefaultAuditTopic,
		auditRF:       -1, // the broker's default.replication.factor
		log:           zap.NewNop(),
		now:           time.Now,
		batchRecords:  20000,
		batchEvery:    time.Second,
		sinkBatch:     500,
		fetchMaxBytes: 16 << 20,
		probeTimeout:  5 * time.Second,
	}
}

func (o options) validate() error {
	var errs []error
	if o.auditTopic == "" {
		errs = append(errs, errors.New("audit topic must not be empty"))
	}
	if o.batchRecords < 1 || o.sinkBatch < 1 {
		errs = append(errs, errors.New("batch sizes must be at least 1"))
	}
	if o.batchEvery <= 0 {
		errs = append(errs, errors.New("batch interval must be positive"))
	}
	if o.fetchMaxBytes < 1<<20 {
		errs = append(errs, errors.New("fetch max bytes must be at least 1 MiB"))
	}
	return errors.Join(errs...)
}

// WithConnectors sets where connector configs come from: the herder in a
// worker, the REST API in the CLI. Without it only topics are known, by
// the dead-letter headers their records carry.
func WithConnectors(c Connectors) Option { return optionFunc(func(o *options) { o.conns = c }) }

// WithSinkReplayer enables replays into a connector's sink path.
func WithSinkReplayer(s SinkReplayer) Option { return optionFunc(func(o *options) { o.sink = s }) }

// WithAuditTopic sets the audit topic (default freshet-dlq-audit), created
// when missing with infinite retention and replication factor rf (-1: the
// broker's default).
func WithAuditTopic(topic string, rf int16) Option {
	return optionFunc(func(o *options) { o.auditTopic, o.auditRF = topic, rf })
}

// WithLogger sets the logger (default: none).
func WithLogger(l *zap.Logger) Option { return optionFunc(func(o *options) { o.log = l }) }

// WithClock sets the clock used for failure times, filters and the journal.
func WithClock(now func() time.Time) Option { return optionFunc(func(o *options) { o.now = now }) }

// WithBatch sets how often a replay or skip journals its progress and
// commits the drain cursor: every n records or every d, whichever first.
// A killed replay resumes from the last such point (and finds what it
// replayed after it in the source topic). Defaults: 20,000 and 1 s.
func WithBatch(n int, d time.Duration) Option {
	return optionFunc(func(o *options) { o.batchRecords, o.batchEvery = n, d })
}

// WithSinkBatch sets how many records one SinkReplayer.Replay call takes
// (default 500).
func WithSinkBatch(n int) Option { return optionFunc(func(o *options) { o.sinkBatch = n }) }

// WithFetchMaxBytes sets the fetch size for reading dead-letter topics
// (default 16 MiB; the first fetch of a scan is 1 MiB, so that the first
// records come quickly): large fetches are what make a filter over a
// million records fast.
func WithFetchMaxBytes(n int32) Option { return optionFunc(func(o *options) { o.fetchMaxBytes = n }) }

// WithWorkerID sets the worker id written on records that fail again in a
// replay into the sink.
func WithWorkerID(id string) Option { return optionFunc(func(o *options) { o.workerID = id }) }
