package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// stagedRow is one record's row in a segment.
type stagedRow struct {
	n     int32 // number in the staging table, set when staged
	del   bool  // a delete of the key; else a write
	row   *row
	vals  []any // the values converted for their columns, once the segment is coerced
	idx   int   // batch index of the record
	layer int   // how many earlier rows of the segment have the same key
}

// segment is a run of rows for one table that the same statements write:
// rows of one column set (and, in insert mode, one operation), at most
// batch.size of them.
//
// In upsert and update modes one statement cannot touch a key twice, so a
// key's second row goes to layer 1, its third to layer 2, and so on; layers
// run one after the other. Rows are never folded into the last one for their
// key: every record is tried, so that one that would fail reaches the dead
// letters even when a later record for its key succeeds.
type segment struct {
	meta   *tableMeta
	write  *shape     // the shape of the written rows; nil when only deletes
	pkSig  string     // key column names
	cols   []*colMeta // the staged columns: write's, or the key's
	npk    int
	rows   []*stagedRow
	byKey  map[string]int // upsert and update modes: rows per key so far
	layers int
	// After a failed attempt the transaction is rerun: without the direct
	// COPY (noDirect), then with a savepoint around every statement, which
	// lets bisection find the failing rows (careful).
	noDirect, careful bool
	// coerced is set once every row's values are converted for their
	// columns. Until then COPY converts them as it sends them, so that the
	// conversion runs while the server works on the rows before.
	coerced bool
	// lane, when set, holds the records themselves: a batch of one table
	// and one shape, written by COPY straight from the records, without
	// rows or staging (see laneSegment).
	lane *lane
}

// lane is a batch written without materialized rows.
type lane struct {
	batch     []sdk.Record
	processed []bool // records not in the database yet
}

// errLaneFailed asks put to write the batch the general way.
var errLaneFailed = errors.New("the batch needs the general path")

// errRerun asks for the transaction to be rolled back and run again, with
// the segment's next, slower way of writing.
type errRerun struct{ seg *segment }

func (e errRerun) Error() string { return "rerun the transaction" }

// segments turns a table's rows into segments. Rows that cannot be written
// (missing columns, values of the wrong type) fail here, in be.
func (t *sinkTask) segments(m *tableMeta, rows []*row, be *sdk.BatchError) []*segment {
	var segs []*segment
	var cur *segment
	slab := make([]stagedRow, len(rows)) // one allocation for all staged rows
	var key []any
	for _, r := range rows {
		b := r.shape.bound
		if len(b.missing) > 0 {
			be.Fail(r.idx, missingError(m, b.missing))
			continue
		}
		if cur == nil || !t.fits(cur, r) {
			cur = &segment{meta: m, pkSig: r.shape.pkSig, npk: r.shape.npk, layers: 1}
			if t.cfg.insertMode != modeInsert {
				cur.byKey = map[string]int{}
			}
			segs = append(segs, cur)
			key = make([]any, cur.npk)
		}
		if r.op == opWrite && cur.write == nil {
			cur.write = r.shape
			cur.cols = b.cols
		} else if cur.cols == nil {
			cur.cols = b.cols[:r.shape.npk]
		}
		sr := &slab[0]
		slab = slab[1:]
		*sr = stagedRow{del: r.op == opDelete, row: r, idx: r.idx}
		if cur.byKey != nil {
			for i := range key {
				key[i] = r.get(i)
			}
			k := keyString(key)
			sr.layer = cur.byKey[k]
			cur.byKey[k]++
			cur.layers = max(cur.layers, sr.layer+1)
		}
		cur.rows = append(cur.rows, sr)
	}
	return segs
}

// fits says whether r can join segment s.
func (t *sinkTask) fits(s *segment, r *row) bool {
	if len(s.rows) >= t.cfg.batchSize || s.pkSig != r.shape.pkSig {
		return false
	}
	if r.op == opWrite && s.write != nil && s.write.sig != r.shape.sig {
		return false
	}
	if t.cfg.insertMode == modeInsert && len(s.rows) > 0 {
		return s.rows[0].del == (r.op == opDelete)
	}
	return true
}

// byLayer returns the segment's rows ordered by layer, in batch order within
// a layer, and where each layer starts.
func (s *segment) byLayer() ([]*stagedRow, []int) {
	if s.layers == 1 {
		return s.rows, []int{0, len(s.rows)}
	}
	out := make([]*stagedRow, 0, len(s.rows))
	bounds := make([]int, 0, s.layers+1)
	for l := range s.layers {
		bounds = append(bounds, len(out))
		for _, r := range s.rows {
			if r.layer == l {
				out = append(out, r)
			}
		}
	}
	return out, append(bounds, len(out))
}

// coerceAll converts the values of the segment's rows for their columns, in
// place. Rows that cannot be converted fail in be and leave the segment.
func (s *segment) coerceAll(be *sdk.BatchError) {
	kept := s.rows[:0]
	for _, r := range s.rows {
		r.vals = make([]any, r.row.width())
		if err := coerceVals(r.row, s.cols, r.vals); err != nil {
			be.Fail(r.idx, sdk.RecordErr(fmt.Errorf("table %s, %w", s.meta.id, err)))
			continue
		}
		kept = append(kept, r)
	}
	clear(s.rows[len(kept):])
	s.rows = kept
	s.coerced = true
}

// coerceVals converts a row's values for cols into out.
func coerceVals(r *row, cols []*colMeta, out []any) error {
	for i := range r.width() {
		cv, err := coerce(r.get(i), cols[i].kind)
		if err != nil {
			return fmt.Errorf("column %q (%s): %w", cols[i].name, cols[i].typ, err)
		}
		out[i] = cv
	}
	return nil
}

// keyString encodes key values for folding rows by key. Equal keys must give
// equal strings; the reverse only costs a bisection.
func keyString(vals []any) string {
	var b []byte
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			b = strconv.AppendInt(b, int64(len(v)), 10)
			b = append(b, 's')
			b = append(b, v...)
		case int16:
			b = strconv.AppendInt(append(b, 'i'), int64(v), 10)
		case int32:
			b = strconv.AppendInt(append(b, 'i'), int64(v), 10)
		case int64:
			b = strconv.AppendInt(append(b, 'i'), v, 10)
		case []byte:
			b = hex.AppendEncode(append(b, 'x'), v)
		case time.Time:
			b = strconv.AppendInt(append(b, 't'), v.UnixNano(), 10)
		case pgtype.UUID:
			b = hex.AppendEncode(append(b, 'u'), v.Bytes[:])
		default:
			b = fmt.Appendf(b, "%T%v", v, v)
		}
		b = append(b, 0)
	}
	return string(b)
}

// writeSegment writes a segment inside the open transaction.
//
// The fast ways run without savepoints: COPY straight into the table, else
// COPY into the staging table and one statement per layer. When one fails
// for a row's reason the transaction is aborted, and writeSegment returns
// errRerun; the transaction is run again, this segment the slower way. The
// careful way runs every statement in a savepoint; rows that fail are
// recorded in be and the others written. Any other error aborts the
// transaction for good.
func (t *sinkTask) writeSegment(ctx context.Context, s *segment, be *sdk.BatchError) error {
	if len(s.rows) == 0 && s.lane == nil {
		return nil
	}
	names := make([]string, len(s.cols))
	for i, c := range s.cols {
		names[i] = c.name
	}
	if s.lane != nil {
		src := s.laneRows()
		err := t.copyIn(ctx, s.meta.id.String(), names, src)
		s.meta.copied(err == nil)
		switch {
		case err == nil:
			return nil
		case src.coerceErr != nil || classOf(err) == sdk.ClassRecord:
			return errLaneFailed
		}
		return tableError(s.meta.id, "copy into", err)
	}
	if !s.noDirect && t.direct(s) {
		src := s.copyRows(s.rows, false)
		err := t.copyIn(ctx, s.meta.id.String(), names, src)
		s.meta.copied(err == nil)
		switch {
		case err == nil:
			return nil
		case src.coerceErr != nil:
			s.noDirect, s.careful = true, true
			return errRerun{s}
		case classOf(err) == sdk.ClassRecord:
			s.noDirect = true
			return errRerun{s}
		}
		return tableError(s.meta.id, "copy into", err)
	}
	rows, bounds := s.byLayer()
	if !s.careful {
		cols := append([]string{stageN, stageDel}, names...)
		for _, r := range rows {
			r.n = t.nextN
			t.nextN++
		}
		src := s.copyRows(rows, true)
		err := t.copyIn(ctx, quoteIdent(s.meta.stage), cols, src)
		if src.coerceErr != nil {
			s.careful = true
			return errRerun{s}
		}
		if err == nil {
			err = t.applyLayers(ctx, s, rows, bounds, func(p *applyPlan, layer []*stagedRow) error {
				sql := p.sql(layer[0].n, layer[len(layer)-1].n+1)
				if sql == "" {
					return nil
				}
				_, err := t.conn.Exec(ctx, sql)
				return err
			})
		}
		switch {
		case err == nil:
			return nil
		case classOf(err) == sdk.ClassRecord:
			s.careful = true
			return errRerun{s}
		}
		return tableError(s.meta.id, "write to", err)
	}
	staged, err := t.stage(ctx, s, names, rows, be)
	if err != nil {
		return err
	}
	return t.applyLayers(ctx, s, staged, nil, func(p *applyPlan, layer []*stagedRow) error {
		return t.apply(ctx, s, p, layer, be)
	})
}

// applyLayers calls fn for each layer of staged rows, in order, with the
// plan for it. Without bounds, the layers are found in the rows.
func (t *sinkTask) applyLayers(ctx context.Context, s *segment, rows []*stagedRow, bounds []int,
	fn func(*applyPlan, []*stagedRow) error) error {
	p := &applyPlan{mode: t.cfg.insertMode, table: s.meta.id, stage: s.meta.stage, cols: s.cols, npk: s.npk}
	for len(rows) > 0 {
		n := 1
		if bounds != nil {
			n = bounds[1] - bounds[0]
			bounds = bounds[1:]
		} else {
			for n < len(rows) && rows[n].layer == rows[0].layer {
				n++
			}
		}
		layer := rows[:n]
		rows = rows[n:]
		p.hasDel, p.hasPut = false, false
		for _, r := range layer {
			p.hasDel = p.hasDel || r.del
			p.hasPut = p.hasPut || !r.del
		}
		if len(layer) == 0 {
			continue
		}
		if err := fn(p, layer); err != nil {
			return err
		}
	}
	return nil
}

// direct says whether to try COPY straight into the table for a segment.
func (t *sinkTask) direct(s *segment) bool {
	if s.write == nil || !s.write.bound.direct || s.layers > 1 {
		return false
	}
	for _, r := range s.rows {
		if r.del {
			return false
		}
	}
	switch t.cfg.insertMode {
	case modeInsert:
		return true
	case modeUpsert:
		return s.npk > 0 && s.meta.hasUnique(s.cols[:s.npk]) && s.meta.tryCopy()
	}
	return false
}

// tryCopy says whether an upsert should try a plain COPY first. After a COPY
// that failed (keys that exist, mostly), it skips the next 1, 2, 4 … 64
// segments: a table whose rows are mostly updated soon stops paying for
// COPYs that fail, one whose rows are mostly new keeps the fast way.
func (m *tableMeta) tryCopy() bool {
	if m.copySkip > 0 {
		m.copySkip--
		return false
	}
	return true
}

func (m *tableMeta) copied(ok bool) {
	if ok {
		m.copyBackoff = 0
		return
	}
	m.copyBackoff = min(max(1, 2*m.copyBackoff), 64)
	m.copySkip = m.copyBackoff
}

// stage copies rows into the staging table, numbering them. Rows PostgreSQL
// rejects (none, normally: the staging types have no limits and the values
// were checked) are found by bisection and fail in be.
func (t *sinkTask) stage(ctx context.Context, s *segment, names []string, rows []*stagedRow, be *sdk.BatchError) ([]*stagedRow, error) {
	for _, r := range rows {
		r.n = t.nextN
		t.nextN++
	}
	cols := append([]string{stageN, stageDel}, names...)
	var try func(rows []*stagedRow) ([]*stagedRow, error)
	try = func(rows []*stagedRow) ([]*stagedRow, error) {
		recErr, err := t.attempt(ctx, func() error {
			return t.copyIn(ctx, quoteIdent(s.meta.stage), cols, s.copyRows(rows, true))
		})
		switch {
		case err != nil:
			return nil, classify(fmt.Errorf("stage rows for %s: %w", s.meta.id, err))
		case recErr == nil:
			return rows, nil
		case len(rows) == 1:
			be.Fail(rows[0].idx, recordError(s.meta.id, recErr))
			return nil, nil
		}
		mid := len(rows) / 2
		left, err := try(rows[:mid])
		if err != nil {
			return nil, err
		}
		right, err := try(rows[mid:])
		if err != nil {
			return nil, err
		}
		return append(left, right...), nil
	}
	return try(rows)
}

// apply runs the plan's statements over staged rows. When they fail for a
// row's reason, it bisects: each half runs in its own savepoint, down to the
// single rows that fail. Rows are applied in order, so in insert mode the
// later of two duplicates is the one that fails.
func (t *sinkTask) apply(ctx context.Context, s *segment, p *applyPlan, rows []*stagedRow, be *sdk.BatchError) error {
	if len(rows) == 0 {
		return nil
	}
	sql := p.sql(rows[0].n, rows[len(rows)-1].n+1)
	if sql == "" {
		return nil
	}
	recErr, err := t.attemptSQL(ctx, sql)
	switch {
	case err != nil:
		return tableError(s.meta.id, "write to", err)
	case recErr == nil:
		return nil
	case len(rows) == 1:
		be.Fail(rows[0].idx, recordError(s.meta.id, recErr))
		return nil
	}
	mid := len(rows) / 2
	if err := t.apply(ctx, s, p, rows[:mid], be); err != nil {
		return err
	}
	return t.apply(ctx, s, p, rows[mid:], be)
}

// attempt runs fn inside a savepoint. A record error rolls back to the
// savepoint and is returned as recErr; any other error is returned as err,
// with the transaction left for the caller to abandon.
func (t *sinkTask) attempt(ctx context.Context, fn func() error) (recErr, err error) {
	if _, err := t.conn.Exec(ctx, "SAVEPOINT "+savepoint); err != nil {
		return nil, err
	}
	ferr := fn()
	if ferr == nil {
		_, err := t.conn.Exec(ctx, "RELEASE SAVEPOINT "+savepoint)
		return nil, err
	}
	if classOf(ferr) != sdk.ClassRecord {
		return nil, ferr
	}
	if _, err := t.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+savepoint+"; RELEASE SAVEPOINT "+savepoint); err != nil {
		return nil, err
	}
	return ferr, nil
}

// attemptSQL is attempt for SQL statements, in one round trip.
func (t *sinkTask) attemptSQL(ctx context.Context, sql string) (recErr, err error) {
	_, ferr := t.conn.Exec(ctx, "SAVEPOINT "+savepoint+"; "+sql+"; RELEASE SAVEPOINT "+savepoint)
	if ferr == nil {
		return nil, nil
	}
	if classOf(ferr) != sdk.ClassRecord {
		return nil, ferr
	}
	if _, err := t.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+savepoint+"; RELEASE SAVEPOINT "+savepoint); err != nil {
		return nil, err
	}
	return ferr, nil
}

// rowSource feeds staged rows to COPY, with the staging columns (number and
// delete flag) first when staged is set. Deletes carry only key values; the
// other columns are NULL. Until the segment is coerced it converts values
// as it goes; the first value it cannot convert ends the COPY, and
// coerceErr says so.
type rowSource struct {
	rows      []*stagedRow
	cols      []*colMeta
	kinds     []kind // of the COPY's columns
	staged    bool
	coerce    bool
	i         int
	buf       []any
	coerceErr error
	lane      *lane
	laneRow   row
}

func (s *segment) copyRows(rows []*stagedRow, staged bool) *rowSource {
	off := 0
	if staged {
		off = 2
	}
	kinds := make([]kind, 0, off+len(s.cols))
	if staged {
		kinds = append(kinds, kindInt4, kindBool)
	}
	for _, c := range s.cols {
		kinds = append(kinds, c.kind)
	}
	return &rowSource{rows: rows, cols: s.cols, kinds: kinds, staged: staged, coerce: !s.coerced, i: -1, buf: make([]any, off+len(s.cols))}
}

// laneRows feeds a lane's records to COPY.
func (s *segment) laneRows() *rowSource {
	src := s.copyRows(nil, false)
	src.lane = s.lane
	src.laneRow = row{shape: s.write}
	return src
}

func (src *rowSource) Next() bool {
	src.i++
	if src.lane != nil {
		for src.i < len(src.lane.batch) && !src.lane.processed[src.i] {
			src.i++
		}
		return src.i < len(src.lane.batch) && src.coerceErr == nil
	}
	return src.i < len(src.rows) && src.coerceErr == nil
}

func (src *rowSource) Values() ([]any, error) {
	if src.lane != nil {
		src.laneRow.rec = &src.lane.batch[src.i]
		for i := range src.laneRow.shape.npk {
			if src.laneRow.get(i) == nil {
				src.coerceErr = fmt.Errorf("primary key column %q is null", src.cols[i].name)
				return nil, src.coerceErr
			}
		}
		if err := coerceVals(&src.laneRow, src.cols, src.buf); err != nil {
			src.coerceErr = err
			return nil, err
		}
		return src.buf, nil
	}
	r := src.rows[src.i]
	out := src.buf
	if src.staged {
		out[0], out[1] = r.n, r.del
		out = out[2:]
	}
	n := r.row.width()
	if src.coerce {
		if err := coerceVals(r.row, src.cols, out); err != nil {
			src.coerceErr = err
			return nil, err
		}
	} else {
		copy(out, r.vals)
	}
	clear(out[n:])
	return src.buf, nil
}

func (src *rowSource) Err() error { return src.coerceErr }
