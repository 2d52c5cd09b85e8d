package dlq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/time/rate"
)

// Destination is where a replay sends records.
type Destination string

// Destinations.
const (
	// ToSource re-produces each record to the topic it failed from, with
	// dead-letter headers stripped and __freshet.replay.* headers added.
	ToSource Destination = "source"
	// ToSink hands records straight to the connector's sink path, so that
	// other consumers of the source topic see nothing twice.
	ToSink Destination = "sink"
)

// ReplayOptions says what to replay, where and how fast.
type ReplayOptions struct {
	To Destination
	// Topic, with ToSource, sends every record to this topic instead of
	// the one it failed from (needed for dead letters that do not say).
	Topic string
	// Connector, with ToSink, names the connector when the target is a
	// topic several connectors share.
	Connector string
	Filter    Filter
	// Rate limits the replay to this many records per second; 0 means
	// as fast as possible.
	Rate   float64
	DryRun bool
	// Who is recorded in the audit trail (user@host, or the REST caller).
	Who string
	// Progress, when set, is called from the replaying goroutine about
	// ten times a second and once at the end.
	Progress func(Progress)
}

// Progress is how far a replay or skip has come.
type Progress struct {
	Run         string        `json:"run"`
	Scanned     int64         `json:"scanned"` // dead-letter offsets passed
	Total       int64         `json:"total"`   // dead-letter offsets to pass
	Matched     int64         `json:"matched"`
	Replayed    int64         `json:"replayed"`
	FailedAgain int64         `json:"failed_again"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	Rate        float64       `json:"rate"`   // records replayed per second
	ETA         time.Duration `json:"eta_ns"` // -1 when unknown
	Done        bool          `json:"done"`
}

// ReplayResult tells what a replay did.
type ReplayResult struct {
	Queue Queue `json:"dlq"`
	// Run is the id the replay's audit entries carry; empty when it
	// changed nothing.
	Run       string      `json:"run,omitempty"`
	To        Destination `json:"to"`
	Connector string      `json:"connector,omitempty"`
	DryRun    bool        `json:"dry_run"`
	Scanned   int64       `json:"scanned"`
	Matched   int64       `json:"matched"`
	// Replayed counts records delivered; FailedAgain those that failed in
	// the sink again and went back to the dead-letter queue with
	// attempt+1; Recovered those an interrupted earlier run had replayed
	// after its last journal entry (found, and not replayed twice).
	Replayed    int64            `json:"replayed"`
	FailedAgain int64            `json:"failed_again"`
	Recovered   int64            `json:"recovered"`
	Targets     map[string]int64 `json:"targets"` // records per topic or connector
	// Elapsed is the whole call; Rate is records delivered per second from
	// the first record sent to the last one acknowledged (what --rate
	// limits).
	Elapsed time.Duration `json:"elapsed_ns"`
	Rate    float64       `json:"rate"`
}

// item is one record on its way from the dead-letter queue.
type item struct {
	p   int32 // dead-letter partition and offset
	o   int64
	rec *kgo.Record // what is delivered
	err error       // delivery failure
	// failedAgain: the sink rejected it and it was dead-lettered anew.
	failedAgain bool
	// done is set by the producer's callback, after err.
	done atomic.Bool
	// What the dead letter said, for writing it anew.
	contextHeaders bool
	version        string
}

// destination delivers replayed records.
type destination interface {
	// send queues one record; it may block (rate limit, buffers).
	send(ctx context.Context, it *item) error
	// flush waits until every record sent is delivered or failed, and
	// returns them. An error means some were not delivered (their err is
	// set); the others were.
	flush(ctx context.Context) ([]*item, error)
	// targets returns the source positions to journal (ToSource).
	targets() map[string]map[int32]int64
	close()
}

// Replay re-delivers the dead letters of target that o.Filter selects and
// that are not drained yet, in offset order per partition, and drains them:
// progress is journaled and the drain cursor committed only after the
// records are acknowledged (produced with acks=all by an idempotent
// producer, or written and flushed by the sink). A replay that is
// interrupted resumes where it stopped when run again, without
// duplicates; a replay run twice does nothing the second time.
//
// Everything is checked before anything changes: an unknown queue, a
// sink replay to a connector that is not running, a source topic that does
// not exist.
func (d *Drainer) Replay(ctx context.Context, target string, o ReplayOptions) (ReplayResult, error) {
	res := ReplayResult{To: o.To, DryRun: o.DryRun, Targets: map[string]int64{}}
	switch {
	case o.To != ToSource && o.To != ToSink:
		return res, fmt.Errorf("%w: replay to %q: want source or sink", ErrInvalid, o.To)
	case o.Rate < 0:
		return res, fmt.Errorf("%w: rate %v: want records per second > 0, or 0 for no limit", ErrInvalid, o.Rate)
	case o.Filter.IncludeDrained:
		return res, fmt.Errorf("%w: a replay never replays drained records again", ErrInvalid)
	case o.To == ToSink && o.Topic != "":
		return res, fmt.Errorf("%w: a topic is only for replays to the source", ErrInvalid)
	case o.To == ToSink && d.o.sink == nil:
		return res, fmt.Errorf("%w: replays into the sink run in the worker: use its REST API (POST /connectors/NAME/dlq/replay)", ErrInvalid)
	}
	q, err := d.Resolve(ctx, target)
	if err != nil {
		return res, err
	}
	res.Queue = q
	defer d.lockQueue(q.Topic)()
	if o.To == ToSink {
		name := o.Connector
		if name == "" {
			if name, err = connectorFor(q, target); err != nil {
				return res, err
			}
		}
		if err := d.o.sink.Ready(ctx, name); err != nil {
			return res, fmt.Errorf("replay %s into connector %s: %w", q.Topic, name, err)
		}
		res.Connector = name
	}
	if o.Topic != "" {
		if err := d.topicExists(ctx, o.Topic); err != nil {
			return res, err
		}
	}
	r, err := d.newRun(ctx, q, entry{
		Op: opReplay, To: string(o.To), Topic: o.Topic, Connector: res.Connector,
		Filter: o.Filter.String(), Rate: o.Rate, Who: o.Who,
	})
	if err != nil {
		return res, err
	}
	defer r.close()
	if len(r.st.open) > 0 {
		// Killed runs first: what they replayed must not be replayed again.
		if o.DryRun {
			err = r.reconcile(ctx, false)
		} else {
			err = r.fence(ctx)
		}
		if err != nil {
			return res, err
		}
	}
	var lim *rate.Limiter
	if o.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(o.Rate), max(1, int(o.Rate/10)))
	}
	var dest destination
	if !o.DryRun {
		if o.To == ToSource {
			dest, err = d.newSourceDest(r, lim)
		} else {
			dest, err = d.newSinkDest(r, res.Connector, lim)
		}
		if err != nil {
			return res, err
		}
		defer dest.close()
	}
	rp := &replayer{d: d, r: r, o: o, res: &res, dest: dest, started: time.Now()}
	err = rp.run(ctx)
	if r.fenced() {
		res.Run = r.id // it journaled something
	}
	res.Recovered = r.recovered
	res.Elapsed = time.Since(rp.started)
	res.Rate = rp.rate()
	return res, err
}

// replayer is the state of one Replay call's loop.
type replayer struct {
	d    *Drainer
	r    *run
	o    ReplayOptions
	res  *ReplayResult
	dest destination

	started    time.Time
	firstSend  time.Time // when the first record was sent
	lastAck    time.Time // when the last flush returned
	batchStart time.Time
	sent       int
	total      int64
	pos        map[int32]int64 // next offset to scan, per partition
	from       map[int32]int64
	lastReport time.Time
	stopped    bool // at the filter's limit
}

func (rp *replayer) run(ctx context.Context) error {
	bounds := map[int32]Span{}
	rp.pos, rp.from = map[int32]int64{}, map[int32]int64{}
	for p := range rp.r.st.parts {
		b := rp.r.st.undrained(p)
		b.From = max(b.From, rp.o.Filter.FromOffset)
		bounds[p] = b
		rp.pos[p], rp.from[p] = b.From, b.From
		if b.To > b.From {
			rp.total += b.To - b.From
		}
	}
	rp.batchStart = time.Now()
	serr := rp.d.scan(ctx, rp.r.q.Topic, bounds, scanOpts{}, func(rec *kgo.Record) error {
		rp.res.Scanned += rec.Offset + 1 - rp.pos[rec.Partition]
		rp.pos[rec.Partition] = rec.Offset + 1
		if err := rp.one(ctx, rec); err != nil {
			return err
		}
		if rp.sent >= rp.d.o.batchRecords || (rp.sent > 0 && time.Since(rp.batchStart) >= rp.d.o.batchEvery) {
			if err := rp.flush(ctx); err != nil {
				return err
			}
		}
		rp.report(false)
		return nil
	})
	if serr == nil && !rp.stopped {
		rp.res.Scanned = rp.total // the scan passed the gaps at the ends too
	}
	if rp.o.DryRun {
		rp.report(true)
		return serr
	}
	// Journal what was delivered even when interrupted: a Ctrl-C must not
	// make the next run replay what this one delivered.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	ferr := rp.flush(fctx)
	status := "done"
	switch {
	case ctx.Err() != nil:
		status = "interrupted"
	case serr != nil || ferr != nil:
		status = "failed: " + errors.Join(serr, ferr).Error()
	}
	eerr := rp.r.finish(fctx, entry{Status: status, Count: rp.res.Replayed + rp.res.FailedAgain, FailedAgain: rp.res.FailedAgain})
	rp.report(true)
	return errors.Join(serr, ferr, eerr)
}

// one handles one dead letter: skip it, or count it (dry run), or send it.
func (rp *replayer) one(ctx context.Context, rec *kgo.Record) error {
	if rp.r.st.isDrained(rec.Partition, rec.Offset) {
		return nil
	}
	m := indexHeaders(rec.Headers)
	if !rp.o.Filter.match(&m, rec) {
		return nil
	}
	it := rp.r.item(rec, &m, rp.o.Topic)
	if rp.o.DryRun {
		rp.res.Matched++
		rp.res.Targets[rp.targetName(it)]++
		return rp.atLimit()
	}
	if !rp.r.fenced() {
		if err := rp.r.fence(ctx); err != nil {
			return err
		}
		if rp.r.st.isDrained(rec.Partition, rec.Offset) {
			return nil // an interrupted run had replayed it
		}
	}
	rp.res.Matched++
	if rp.firstSend.IsZero() {
		rp.firstSend = time.Now()
	}
	if err := rp.dest.send(ctx, it); err != nil {
		return err
	}
	rp.sent++
	return rp.atLimit()
}

// atLimit ends the scan once the filter's limit of records is reached.
func (rp *replayer) atLimit() error {
	if lim := rp.o.Filter.Limit; lim > 0 && rp.res.Matched >= int64(lim) {
		rp.stopped = true
		return errStop
	}
	return nil
}

func (rp *replayer) targetName(it *item) string {
	if rp.o.To == ToSink {
		return rp.res.Connector
	}
	if it.rec.Topic == "" {
		return "(unknown source topic)"
	}
	return it.rec.Topic
}

// flush waits for what was sent, journals what was delivered and commits
// the drain cursor.
func (rp *replayer) flush(ctx context.Context) error {
	rp.batchStart = time.Now()
	if rp.sent == 0 || rp.dest == nil {
		return nil
	}
	rp.sent = 0
	items, derr := rp.dest.flush(ctx)
	rp.lastAck = time.Now()
	drained := map[int32]spans{}
	var n, again int64
	for _, it := range items {
		if it.err != nil {
			continue
		}
		ss := drained[it.p]
		ss.add(it.o, it.o+1)
		drained[it.p] = ss
		n++
		if it.failedAgain {
			again++
		} else {
			rp.res.Targets[rp.targetName(it)]++
		}
	}
	if n > 0 {
		es := rp.r.entries(entryProgress, rp.r.id, drained, entry{Targets: rp.dest.targets(), Count: n, FailedAgain: again})
		if err := rp.r.write(ctx, es...); err != nil {
			return errors.Join(derr, err)
		}
		if err := rp.d.commitCursor(ctx, rp.r.st); err != nil {
			return errors.Join(derr, err)
		}
	}
	rp.res.Replayed += n - again
	rp.res.FailedAgain += again
	return derr
}

func (rp *replayer) report(done bool) {
	if rp.o.Progress == nil || (!done && time.Since(rp.lastReport) < 100*time.Millisecond) {
		return
	}
	rp.lastReport = time.Now()
	el := time.Since(rp.started)
	p := Progress{
		Run: rp.res.Run, Scanned: rp.res.Scanned, Total: rp.total, Matched: rp.res.Matched,
		Replayed: rp.res.Replayed, FailedAgain: rp.res.FailedAgain, Elapsed: el, ETA: -1, Done: done,
	}
	p.Rate = rp.rate()
	if s := el.Seconds(); s > 0 {
		if rp.res.Scanned > 0 {
			p.ETA = time.Duration(float64(rp.total-rp.res.Scanned) / (float64(rp.res.Scanned) / s) * float64(time.Second))
		}
	}
	if done {
		p.ETA = 0
	}
	rp.o.Progress(p)
}

// rate is records delivered per second since the first was sent.
func (rp *replayer) rate() float64 {
	if rp.firstSend.IsZero() {
		return 0
	}
	end := time.Now()
	if !rp.lastAck.IsZero() && rp.sent == 0 {
		end = rp.lastAck
	}
	if s := end.Sub(rp.firstSend).Seconds(); s > 0 {
		return float64(rp.res.Replayed+rp.res.FailedAgain) / s
	}
	return 0
}

// item builds the record a replay delivers for a dead letter: the
// original key, value, timestamp and headers (dead-letter headers
// stripped), addressed to where it failed, with __freshet.replay.*
// headers added.
func (r *run) item(rec *kgo.Record, m *meta, topicOverride string) *item {
	topic, p, o, _ := m.origin()
	if topicOverride != "" {
		topic = topicOverride
	}
	hs := originalHeaders(rec.Headers)
	add := func(k, v string) { hs = append(hs, kgo.RecordHeader{Key: k, Value: []byte(v)}) }
	add(HeaderReplayID, r.id)
	add(HeaderReplayTime, r.start.Time.Format(time.RFC3339Nano))
	add(HeaderReplayDLQTopic, rec.Topic)
	add(HeaderReplayDLQPartition, strconv.Itoa(int(rec.Partition)))
	add(HeaderReplayDLQOffset, strconv.FormatInt(rec.Offset, 10))
	add(HeaderReplayAttempt, strconv.Itoa(m.attempt()))
	if b, ok := m.bytes(fFirstFailure); ok {
		add(HeaderReplayFirstFailure, string(b))
	} else if b, ok := m.bytes(fLastFailure); ok {
		add(HeaderReplayFirstFailure, string(b))
	}
	return &item{
		p: rec.Partition, o: rec.Offset,
		rec: &kgo.Record{
			Topic: topic, Partition: p, Offset: o,
			Key: rec.Key, Value: rec.Value, Timestamp: rec.Timestamp, Headers: hs,
		},
		contextHeaders: m.ix != [numFields]int16{},
		version:        m.str(fVersion),
	}
}

// topicExists checks that a topic a replay will produce to exists.
func (d *Drainer) topicExists(ctx context.Context, topic string) error {
	td, err := d.describe(ctx, topic)
	if err != nil {
		return err
	}
	if _, ok := td[topic]; !ok {
		return fmt.Errorf("%w: topic %s does not exist", ErrInvalid, topic)
	}
	return nil
}
