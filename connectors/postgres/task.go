package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// sinkTask writes records to PostgreSQL on one connection, one transaction
// per Put, with the partitions' offsets in the same transaction.
type sinkTask struct {
	cfg  *config
	conn *pgx.Conn // nil until connected, and after an error
	x    *extractor

	metas      map[tableID]*tableMeta // per connection
	dropStages []string
	stageSeq   int
	nextN      int32 // staging row number, per transaction

	offsetsReady bool
	parts        map[sdk.TopicPartition]*sdk.SinkPosition
	// stale is set when the database may hold newer offsets than parts (a
	// transaction whose COMMIT got no answer): reload before writing.
	stale bool
}

func newSinkTask() *sinkTask {
	return &sinkTask{metas: map[tableID]*tableMeta{}, parts: map[sdk.TopicPartition]*sdk.SinkPosition{}}
}

// Start parses the config and connects, so that bad credentials fail the
// task at once.
func (t *sinkTask) Start(ctx context.Context, cfg map[string]string) error {
	c, err := parseConfig(cfg)
	if err != nil {
		return sdk.Fatal(err)
	}
	if c.connector == "" {
		return sdk.Fatal(errors.New("the task config has no connector name (key \"name\"); " +
			"the sink keys its stored offsets by it"))
	}
	t.cfg = c
	t.x = newExtractor(c)
	return t.connect(ctx)
}

// connect opens the connection if there is none, and creates the offsets
// table the first time.
func (t *sinkTask) connect(ctx context.Context) error {
	if t.conn != nil && !t.conn.IsClosed() {
		return nil
	}
	t.reset()
	conn, err := pgx.ConnectConfig(ctx, t.cfg.conn.Copy())
	if err != nil {
		return classify(fmt.Errorf("connect to PostgreSQL: %w", err))
	}
	t.conn = conn
	if !t.offsetsReady {
		if err := t.ddl(ctx, offsetsTableSQL(t.cfg.offsetsTable)); err != nil {
			t.reset()
			return classify(fmt.Errorf("create offsets table %s: %w", t.cfg.offsetsTable, err))
		}
		t.offsetsReady = true
	}
	return nil
}

// reset drops the connection and everything tied to it. The server rolls
// back an open transaction; whether a COMMIT in flight took effect is not
// known, so the offsets are reloaded before the next write.
func (t *sinkTask) reset() {
	if t.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = t.conn.Close(ctx)
		cancel()
		t.conn = nil
		t.stale = true
	}
	clear(t.metas)
	t.dropStages = nil
}

// Open returns the stored offsets of the partitions that have them: the
// runtime resumes there, not at the consumer group's offsets.
func (t *sinkTask) Open(ctx context.Context, partitions []sdk.TopicPartition) (sdk.Offsets, error) {
	if err := t.connect(ctx); err != nil {
		return nil, err
	}
	if err := t.loadParts(ctx, partitions); err != nil {
		t.reset()
		return nil, err
	}
	out := sdk.Offsets{}
	for _, tp := range partitions {
		if st := t.parts[tp]; st.Next >= 0 {
			out[tp] = st.Resume()
		}
	}
	return out, nil
}

// loadParts reads the stored state of partitions into parts, and creates
// the rows of partitions that have none.
func (t *sinkTask) loadParts(ctx context.Context, tps []sdk.TopicPartition) error {
	if len(tps) == 0 {
		return nil
	}
	topics := make([]string, len(tps))
	parts := make([]int32, len(tps))
	for i, tp := range tps {
		topics[i], parts[i] = tp.Topic, tp.Partition
	}
	got := map[sdk.TopicPartition]*sdk.SinkPosition{}
	rows, err := t.conn.Query(ctx, offsetsSelectSQL(t.cfg.offsetsTable), t.cfg.connector, topics, parts)
	if err != nil {
		return classify(fmt.Errorf("read offsets from %s: %w", t.cfg.offsetsTable, err))
	}
	defer rows.Close()
	for rows.Next() {
		var r offsetRow
		if err := rows.Scan(&r.topic, &r.partition, &r.next, &r.retry); err != nil {
			return classify(fmt.Errorf("read offsets from %s: %w", t.cfg.offsetsTable, err))
		}
		slices.Sort(r.retry)
		got[sdk.TopicPartition{Topic: r.topic, Partition: r.partition}] = &sdk.SinkPosition{Next: r.next, Retry: r.retry}
	}
	if err := rows.Err(); err != nil {
		return classify(fmt.Errorf("read offsets from %s: %w", t.cfg.offsetsTable, err))
	}
	missing := false
	for _, tp := range tps {
		if got[tp] == nil {
			got[tp] = &sdk.SinkPosition{Next: -1}
			missing = true
		}
		t.parts[tp] = got[tp]
	}
	if missing {
		if _, err := t.conn.Exec(ctx, offsetsPlaceholderSQL(t.cfg.offsetsTable), t.cfg.connector, topics, parts); err != nil {
			return classify(fmt.Errorf("create offset rows in %s: %w", t.cfg.offsetsTable, err))
		}
	}
	return nil
}

// checkLock reads the answer of offsetsLockSQL, which began the
// transaction and locked the rows of the partitions about to be written,
// and checks that they hold what this task last wrote.
func (t *sinkTask) checkLock(mrr *pgconn.MultiResultReader, want int) error {
	res, err := mrr.ReadAll()
	if err != nil {
		return classify(fmt.Errorf("begin and lock offsets: %w", err))
	}
	found := 0
	for _, r := range res[len(res)-1].Rows {
		p, err1 := strconv.ParseInt(string(r[1]), 10, 32)
		next, err2 := strconv.ParseInt(string(r[2]), 10, 64)
		retry, err3 := parseOffsetArray(string(r[3]))
		if err := errors.Join(err1, err2, err3); err != nil {
			return sdk.Fatal(fmt.Errorf("offsets table %s: %w", t.cfg.offsetsTable, err))
		}
		tp := sdk.TopicPartition{Topic: string(r[0]), Partition: int32(p)}
		st := t.parts[tp]
		if st == nil || st.Next != next || !slices.Equal(st.Retry, retry) {
			return sdk.Retriable(fmt.Errorf("the stored offsets of %s moved (another task owns the partition, "+
				"or a previous process committed last): reloading them", tp))
		}
		found++
	}
	if found != want {
		return sdk.Retriable(fmt.Errorf("offset rows of %d partition(s) are missing from %s: reloading them",
			want-found, t.cfg.offsetsTable))
	}
	return nil
}

// syncParts makes parts current for the batch's partitions: all of them after
// an uncertain failure, else those not seen yet.
func (t *sinkTask) syncParts(ctx context.Context, batch []sdk.Record) error {
	var need []sdk.TopicPartition
	seen := map[sdk.TopicPartition]bool{}
	if t.stale {
		for tp := range t.parts {
			need = append(need, tp)
			seen[tp] = true
		}
	}
	var last *sdk.Record
	for i := range batch {
		r := &batch[i]
		if last != nil && r.Partition == last.Partition && r.Topic == last.Topic {
			continue
		}
		last = r
		tp := r.TopicPartition()
		if seen[tp] {
			continue
		}
		seen[tp] = true
		if t.parts[tp] == nil {
			need = append(need, tp)
		}
	}
	if err := t.loadParts(ctx, need); err != nil {
		return err
	}
	t.stale = false
	return nil
}

// Put writes the batch in one transaction, retrying retriable failures up to
// max.retries times, retry.backoff.ms apart. Records already in the database
// (delivered again after a crash or a retry) are skipped.
func (t *sinkTask) Put(ctx context.Context, batch []sdk.Record) error {
	if len(batch) == 0 {
		return nil
	}
	for attempt := 0; ; attempt++ {
		err := t.put(ctx, batch)
		var be *sdk.BatchError
		if err == nil || errors.As(err, &be) {
			return err
		}
		t.reset()
		if classOf(err) != sdk.ClassRetriable {
			return classify(err)
		}
		if attempt >= t.cfg.maxRetries || ctx.Err() != nil {
			return classify(err)
		}
		select {
		case <-ctx.Done():
			return sdk.Retriable(fmt.Errorf("%w (while retrying: %w)", ctx.Err(), err))
		case <-time.After(t.cfg.retryBackoff):
		}
	}
}

// put is one attempt at a batch.
func (t *sinkTask) put(ctx context.Context, batch []sdk.Record) error {
	if err := t.connect(ctx); err != nil {
		return err
	}
	if err := t.syncParts(ctx, batch); err != nil {
		return err
	}
	tps, work := t.toWrite(batch)
	if !work {
		return nil // every record is in the database already
	}
	// When the tables are known, begin the transaction and lock the
	// partitions now, and read the answer after the records are turned
	// into rows: the server's work overlaps ours.
	var pending *pgconn.MultiResultReader
	if t.tablesReady(batch) {
		pending = t.conn.PgConn().Exec(ctx, offsetsLockSQL(t.cfg.offsetsTable, t.cfg.connector, tps))
	}
	be := sdk.NewBatchError()
	if pending != nil {
		if s := t.laneSegment(batch); s != nil {
			err := t.transact(ctx, tps, []*segment{s}, be, pending)
			if err == nil {
				return t.commit(ctx, batch, s.lane.processed, be)
			}
			if !errors.Is(err, errLaneFailed) {
				return err
			}
			if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil {
				return classify(fmt.Errorf("rollback: %w", err))
			}
			pending = nil
		}
	}
	ext, err := t.extractAll(batch, be)
	if err != nil {
		return err
	}
	var segs []*segment
	for _, id := range ext.order {
		rows := ext.byTable[id]
		m := t.metas[id]
		if pending != nil && (m == nil || m.stage == "" || len(missing(m, rows)) > 0) {
			// DDL or a fresh look at the table is needed after all, and
			// it runs outside the data transaction.
			if _, err := pending.ReadAll(); err != nil {
				return classify(fmt.Errorf("begin and lock offsets: %w", err))
			}
			pending = nil
			if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil {
				return classify(fmt.Errorf("rollback: %w", err))
			}
		}
		if pending == nil {
			if m, err = t.ensure(ctx, id, rows); err != nil {
				return err
			}
			bind(m, rows)
			if err := t.prepareStage(ctx, m); err != nil {
				return err
			}
		} else {
			bind(m, rows)
		}
		segs = append(segs, t.segments(m, rows, be)...)
	}
	if err := t.transact(ctx, tps, segs, be, pending); err != nil {
		return err
	}
	return t.commit(ctx, batch, ext.processed, be)
}

// commit stores the partitions' offsets and commits the transaction.
func (t *sinkTask) commit(ctx context.Context, batch []sdk.Record, processed []bool, be *sdk.BatchError) error {
	states, rows := t.advance(batch, processed, be)
	sql := "COMMIT" // only replayed records: no offsets to store
	if len(rows) > 0 {
		sql = offsetsUpsertSQL(t.cfg.offsetsTable, t.cfg.connector, rows) + "; COMMIT"
	}
	tag, err := t.conn.Exec(ctx, sql)
	if err != nil {
		return classify(fmt.Errorf("store offsets and commit: %w", err))
	}
	if tag.String() != "COMMIT" {
		return sdk.Retriable(fmt.Errorf("commit: the server answered %q", tag.String()))
	}
	for tp, st := range states {
		t.parts[tp] = st
	}
	return be.Err()
}

// toWrite returns the partitions that have records in the batch not yet in
// the database, and whether there is anything to write (replayed records
// count, but have no partition of their own).
func (t *sinkTask) toWrite(batch []sdk.Record) (tps []offsetRow, work bool) {
	seen := map[sdk.TopicPartition]bool{}
	var tp sdk.TopicPartition
	var st *sdk.SinkPosition
	for i := range batch {
		r := &batch[i]
		if r.IsReplay() {
			work = true
			continue
		}
		if st == nil || r.Partition != tp.Partition || r.Topic != tp.Topic {
			tp, st = r.TopicPartition(), t.parts[r.TopicPartition()]
		}
		if seen[tp] || st.Applied(r.Offset) {
			continue
		}
		seen[tp], work = true, true
		tps = append(tps, offsetRow{topic: tp.Topic, partition: tp.Partition})
	}
	return tps, work
}

// tablesReady says whether the tables of the batch's topics are known on
// this connection, with their staging tables, so that writing needs no DDL.
func (t *sinkTask) tablesReady(batch []sdk.Record) bool {
	if len(t.dropStages) > 0 {
		return false
	}
	last := ""
	for i := range batch {
		if topic := batch[i].Topic; i == 0 || topic != last {
			last = topic
			if m := t.metas[t.x.table(topic)]; m == nil || m.stage == "" {
				return false
			}
		}
	}
	return true
}

// laneSegment returns a segment that writes the batch by COPY straight from
// the records, or nil when the batch does not allow it. It needs records of
// one topic and one schema (the usual batch), no tombstones, a table known
// to have every column, COPY straight into the table allowed (insert mode,
// or upsert while keys are new), and one row per key in upsert mode, which
// COPY itself checks: a second row fails on the key, and the batch goes the
// general way.
func (t *sinkTask) laneSegment(batch []sdk.Record) *segment {
	if t.cfg.insertMode == modeUpdate || len(batch) == 0 {
		return nil
	}
	first := &batch[0]
	v, ok := first.Value.(*sdk.Struct)
	if !ok {
		return nil
	}
	keySchema := first.KeySchema
	if k, ok := first.Key.(*sdk.Struct); ok {
		keySchema = k.Schema
	}
	if first.IsReplay() {
		return nil
	}
	for i := 1; i < len(batch); i++ {
		r := &batch[i]
		if r.IsReplay() {
			return nil
		}
		rv, ok := r.Value.(*sdk.Struct)
		if !ok || rv.Schema != v.Schema || r.Topic != first.Topic || r.KeySchema != first.KeySchema {
			return nil
		}
		if k, ok := r.Key.(*sdk.Struct); ok && k.Schema != keySchema {
			return nil
		}
	}
	sh := t.x.cached(first, opWrite)
	m := t.metas[t.x.table(first.Topic)]
	if sh == nil || m == nil || sh.npk > 0 && t.cfg.pkMode == pkRecordKey && first.Key == nil {
		return nil
	}
	rw := row{rec: first, shape: sh}
	bind(m, []*row{&rw})
	s := &segment{meta: m, write: sh, pkSig: sh.pkSig, cols: sh.bound.cols, npk: sh.npk, layers: 1}
	if len(sh.bound.missing) > 0 || !t.direct(s) {
		return nil
	}
	s.lane = &lane{batch: batch, processed: make([]bool, len(batch))}
	var tp sdk.TopicPartition
	var st *sdk.SinkPosition
	for i := range batch {
		r := &batch[i]
		if st == nil || r.Partition != tp.Partition {
			tp, st = r.TopicPartition(), t.parts[r.TopicPartition()]
		}
		s.lane.processed[i] = !st.Applied(r.Offset)
	}
	return s
}

// extracted is a batch turned into rows, per table.
type extracted struct {
	processed []bool // records not already in the database
	byTable   map[tableID][]*row
	order     []tableID
}

// extractAll skips the records already written and turns the others into
// rows; records that cannot become rows fail in be. It does no I/O.
func (t *sinkTask) extractAll(batch []sdk.Record, be *sdk.BatchError) (extracted, error) {
	ext := extracted{processed: make([]bool, len(batch)), byTable: map[tableID][]*row{}}
	rows := make([]row, 0, len(batch)) // one allocation for all rows
	var (
		lastTP    sdk.TopicPartition
		lastState *sdk.SinkPosition
		lastTable tableID
		lastRows  []*row
	)
	flush := func() {
		if lastRows != nil {
			ext.byTable[lastTable] = lastRows
		}
	}
	for i := range batch {
		r := &batch[i]
		if lastState == nil || r.Partition != lastTP.Partition || r.Topic != lastTP.Topic {
			lastTP, lastState = r.TopicPartition(), t.parts[r.TopicPartition()]
		}
		if lastState.Applied(r.Offset) && !r.IsReplay() {
			continue
		}
		ext.processed[i] = true
		rw, err := t.x.extract(i, r)
		if err != nil {
			var fe errFatal
			if errors.As(err, &fe) {
				return extracted{}, sdk.Fatal(fe.error)
			}
			be.Fail(i, sdk.RecordErr(err))
			continue
		}
		rows = append(rows, rw)
		if id := rw.shape.table; lastRows == nil || id != lastTable {
			flush()
			lastTable, lastRows = id, ext.byTable[id]
			if lastRows == nil {
				ext.order = append(ext.order, id)
			}
		}
		lastRows = append(lastRows, &rows[len(rows)-1])
	}
	flush()
	return ext, nil
}

// transact begins the transaction and writes the segments in it, running it
// again while a segment asks for a slower way (errRerun): at most twice per
// segment. Record errors found in a transaction that is run again are
// forgotten; the rerun finds them again.
//
// pending, when not nil, is the answer of the statement that began the
// transaction and locked the partitions, not read yet.
func (t *sinkTask) transact(ctx context.Context, tps []offsetRow, segs []*segment, be *sdk.BatchError, pending *pgconn.MultiResultReader) error {
	before := maps.Clone(be.Failed)
	for {
		if pending == nil {
			pending = t.conn.PgConn().Exec(ctx, offsetsLockSQL(t.cfg.offsetsTable, t.cfg.connector, tps))
		}
		err := t.checkLock(pending, len(tps))
		pending = nil
		if err != nil {
			return err
		}
		t.nextN = 0
		var rerun errRerun
		for _, s := range segs {
			if err = t.writeSegment(ctx, s, be); err != nil {
				break
			}
		}
		if err == nil {
			return nil
		}
		if !errors.As(err, &rerun) {
			return err
		}
		if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil {
			return classify(fmt.Errorf("rollback: %w", err))
		}
		be.Failed = maps.Clone(before)
		if rerun.seg.careful && !rerun.seg.coerced {
			// Conversion failures are final: keep them across reruns.
			rerun.seg.coerceAll(be)
			before = maps.Clone(be.Failed)
		}
	}
}

// advance computes the partitions' states after the batch: the next offset
// past the last record, and the retry list less the records that succeeded,
// plus those that failed.
func (t *sinkTask) advance(batch []sdk.Record, processed []bool, be *sdk.BatchError) (map[sdk.TopicPartition]*sdk.SinkPosition, []offsetRow) {
	states := map[sdk.TopicPartition]*sdk.SinkPosition{}
	var order []sdk.TopicPartition
	var st *sdk.SinkPosition
	var tp sdk.TopicPartition
	for i := range batch {
		r := &batch[i]
		if !processed[i] || r.IsReplay() {
			continue
		}
		if st == nil || r.Partition != tp.Partition || r.Topic != tp.Topic {
			tp = r.TopicPartition()
			if st = states[tp]; st == nil {
				st = t.parts[tp].Clone()
				states[tp] = st
				order = append(order, tp)
			}
		}
		_, failed := be.Failed[i]
		st.Advance(r.Offset, failed)
	}
	rows := make([]offsetRow, len(order))
	for i, tp := range order {
		st := states[tp]
		rows[i] = offsetRow{topic: tp.Topic, partition: tp.Partition, next: st.Next, retry: st.Retry}
	}
	return states, rows
}

// Flush has nothing to write: each Put committed its rows. It forgets the
// failed records below offsets, whose dead letters the runtime now holds, so
// that a restart no longer delivers them again.
func (t *sinkTask) Flush(ctx context.Context, offsets sdk.Offsets) (sdk.Offsets, error) {
	var rows []offsetRow
	trimmed := map[sdk.TopicPartition]*sdk.SinkPosition{}
	for tp, off := range offsets {
		if st := t.parts[tp]; st != nil {
			if tr := st.Trimmed(off); tr != nil {
				trimmed[tp] = tr
				rows = append(rows, offsetRow{topic: tp.Topic, partition: tp.Partition, next: off})
			}
		}
	}
	if len(rows) == 0 {
		return offsets, nil
	}
	if err := t.connect(ctx); err != nil {
		return nil, err
	}
	if _, err := t.conn.Exec(ctx, offsetsTrimSQL(t.cfg.offsetsTable, t.cfg.connector, rows)); err != nil {
		t.reset()
		return nil, classify(fmt.Errorf("store offsets: %w", err))
	}
	maps.Copy(t.parts, trimmed)
	return offsets, nil
}

// Close forgets the revoked partitions; their rows stay in the offsets table.
func (t *sinkTask) Close(_ context.Context, partitions []sdk.TopicPartition) error {
	for _, tp := range partitions {
		delete(t.parts, tp)
	}
	return nil
}

// Stop closes the connection.
func (t *sinkTask) Stop(context.Context) error {
	t.reset()
	return nil
}
