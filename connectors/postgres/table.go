package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// colMeta is a column of a destination table.
type colMeta struct {
	name    string
	typ     string // declared type as format_type shows it, e.g. character varying(20)
	kind    kind
	direct  bool // COPY can encode values straight into the column (not a domain, a known type)
	notNull bool
}

// tableMeta is what the sink knows of a destination table on the current
// connection. A reload makes a new tableMeta; shapes rebind to it.
type tableMeta struct {
	id     tableID
	cols   []*colMeta
	byName map[string]*colMeta
	stage  string     // the session's staging table for this table, once created
	unique [][]string // column sets of the unique indexes
	// Upsert by COPY: after failures, how many segments to skip, and the
	// current back-off.
	copySkip, copyBackoff int
}

// binding maps a shape's columns to a table's.
type binding struct {
	meta    *tableMeta
	cols    []*colMeta // per shape column
	missing []string   // shape columns the table lacks
	direct  bool       // every column is direct
}

// introspect reads a table's columns; nil means there is no such table.
func (t *sinkTask) introspect(ctx context.Context, id tableID) (*tableMeta, error) {
	rows, err := t.conn.Query(ctx, introspectSQL, id.String())
	if err != nil {
		return nil, tableError(id, "read columns of", err)
	}
	m := &tableMeta{id: id, byName: map[string]*colMeta{}}
	for rows.Next() {
		var c colMeta
		var domain bool
		var base string
		if err := rows.Scan(&c.name, &c.typ, &domain, &base, &c.notNull); err != nil {
			rows.Close()
			return nil, tableError(id, "read columns of", err)
		}
		c.kind = kindOf(base)
		c.direct = c.kind != kindOther && !domain
		m.cols = append(m.cols, &c)
		m.byName[c.name] = &c
	}
	if err := rows.Err(); err != nil {
		return nil, tableError(id, "read columns of", err)
	}
	if len(m.cols) > 0 {
		urows, err := t.conn.Query(ctx, uniqueIndexesSQL, id.String())
		if err != nil {
			return nil, tableError(id, "read indexes of", err)
		}
		if m.unique, err = pgx.CollectRows(urows, pgx.RowTo[[]string]); err != nil {
			return nil, tableError(id, "read indexes of", err)
		}
		return m, nil
	}
	var exists bool
	if err := t.conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", id.String()).Scan(&exists); err != nil {
		return nil, tableError(id, "look up", err)
	}
	if !exists {
		return nil, nil
	}
	return m, nil
}

// hasUnique reports whether a unique index covers exactly cols, in any
// order: what ON CONFLICT (cols) needs, and what makes a COPY of an
// existing key fail instead of adding a second row.
func (m *tableMeta) hasUnique(cols []*colMeta) bool {
	for _, idx := range m.unique {
		if len(idx) != len(cols) {
			continue
		}
		all := true
		for _, c := range cols {
			all = all && contains(idx, c.name)
		}
		if all {
			return true
		}
	}
	return false
}

// load returns the cached metadata of a table, reading it on first use or
// when reload is set.
func (t *sinkTask) load(ctx context.Context, id tableID, reload bool) (*tableMeta, error) {
	if m, ok := t.metas[id]; ok && !reload {
		return m, nil
	}
	m, err := t.introspect(ctx, id)
	if err != nil {
		return nil, err
	}
	if old := t.metas[id]; old != nil && old.stage != "" {
		t.dropStages = append(t.dropStages, old.stage)
	}
	if m == nil {
		delete(t.metas, id)
	} else {
		t.metas[id] = m
	}
	return m, nil
}

// ensure makes the table fit the rows: it creates it (auto.create) or adds
// the columns it lacks (auto.evolve), and returns its metadata. DDL runs in
// its own implicit transaction, before the data's, so that a retried batch
// does not redo it. Columns still missing afterwards are left to bind,
// which fails the rows that need them.
func (t *sinkTask) ensure(ctx context.Context, id tableID, rows []*row) (*tableMeta, error) {
	m, err := t.load(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if m == nil {
		if !t.cfg.autoCreate {
			return nil, sdk.Fatal(fmt.Errorf("table %s does not exist and auto.create is false: "+
				"create the table, or set auto.create=true", id))
		}
		cols, pk := newColumns(rows, nil)
		if err := t.ddl(ctx, createTableSQL(id, cols, pk)); err != nil {
			return nil, tableError(id, "create table", err)
		}
		if m, err = t.load(ctx, id, true); err != nil {
			return nil, err
		}
		if m == nil {
			return nil, sdk.Fatal(fmt.Errorf("table %s was created but is not visible: check search_path", id))
		}
	}
	if len(missing(m, rows)) == 0 {
		return m, nil
	}
	// Someone (another task) may have added them already.
	if m, err = t.load(ctx, id, true); err != nil || m == nil {
		if m == nil && err == nil {
			err = sdk.Retriable(fmt.Errorf("table %s disappeared", id))
		}
		return nil, err
	}
	miss := missing(m, rows)
	if len(miss) == 0 {
		return m, nil
	}
	if !t.cfg.autoEvolve {
		if t.cfg.lineage {
			if err := missingLineageError(id, miss); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	cols, _ := newColumns(rows, m)
	if err := t.ddl(ctx, addColumnsSQL(id, cols)); err != nil {
		return nil, tableError(id, "add columns to", err)
	}
	return t.load(ctx, id, true)
}

// ddl runs a DDL statement. Losing a race with another task that creates the
// same table or column is not an error.
func (t *sinkTask) ddl(ctx context.Context, sql string) error {
	_, err := t.conn.Exec(ctx, sql)
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "42P07", "42701", "23505": // duplicate table, duplicate column, catalog unique index
			return nil
		}
	}
	return err
}

// missing returns the names of the rows' columns that m lacks.
func missing(m *tableMeta, rows []*row) []string {
	var out []string
	seen := map[*shape]bool{}
	for _, r := range rows {
		if seen[r.shape] {
			continue
		}
		seen[r.shape] = true
		for _, c := range r.shape.cols {
			if m.byName[c.name] == nil && !contains(out, c.name) {
				out = append(out, c.name)
			}
		}
	}
	return out
}

func contains(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

// newColumns returns the columns of the rows that m lacks (all of them when m
// is nil, for CREATE TABLE), in first-seen order, with the key columns of the
// first row as the primary key. Types come from the schemas, or from the
// first non-null value of schemaless columns. For a new table, key columns
// and required schema fields are NOT NULL, as Kafka Connect's JDBC sink makes
// them; added columns are always nullable, since the table may hold rows.
func newColumns(rows []*row, m *tableMeta) (cols []ddlColumn, pk []string) {
	idx := map[string]int{}
	var schemaless []string
	for _, r := range rows {
		for _, c := range r.shape.cols {
			if m != nil && m.byName[c.name] != nil {
				continue
			}
			if _, ok := idx[c.name]; ok {
				continue
			}
			idx[c.name] = len(cols)
			d := ddlColumn{name: c.name, typ: ddlType(c.schema, nil)}
			if m == nil {
				d.notNull = c.pk || (c.schema != nil && !c.schema.Optional)
			}
			if c.schema == nil {
				schemaless = append(schemaless, c.name)
			}
			cols = append(cols, d)
		}
	}
	if m == nil && len(rows) > 0 {
		sh := rows[0].shape
		for _, c := range sh.cols[:sh.npk] {
			pk = append(pk, c.name)
		}
	}
	// Schemaless columns: the type of the first non-null value.
	for _, name := range schemaless {
		for _, r := range rows {
			if v := r.value(name); v != nil {
				cols[idx[name]].typ = ddlType(nil, v)
				break
			}
		}
	}
	return cols, pk
}

// value returns the row's value of the named column, or nil.
func (r *row) value(name string) any {
	for i, c := range r.shape.cols[:r.width()] {
		if c.name == name {
			return r.get(i)
		}
	}
	return nil
}

// bind maps the shapes of rows to m's columns.
func bind(m *tableMeta, rows []*row) {
	for _, r := range rows {
		sh := r.shape
		if sh.bound != nil && sh.bound.meta == m {
			continue
		}
		b := &binding{meta: m, cols: make([]*colMeta, len(sh.cols)), direct: true}
		for i, c := range sh.cols {
			cm := m.byName[c.name]
			if cm == nil {
				b.missing = append(b.missing, c.name)
				b.direct = false
				continue
			}
			b.cols[i] = cm
			b.direct = b.direct && cm.direct
		}
		sh.bound = b
	}
}

// missingError is the record error of a row whose columns the table lacks.
func missingError(m *tableMeta, names []string) error {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return sdk.RecordErr(fmt.Errorf("table %s has no column %s and auto.evolve is false: "+
		"add the column, or set auto.evolve=true", m.id, strings.Join(q, ", ")))
}

// prepareStage creates the session's staging table for m, dropping those of
// older metadata of the same table. It runs outside the data transaction.
func (t *sinkTask) prepareStage(ctx context.Context, m *tableMeta) error {
	if len(t.dropStages) > 0 {
		var b strings.Builder
		for i, s := range t.dropStages {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(s))
		}
		if _, err := t.conn.Exec(ctx, "DROP TABLE IF EXISTS "+b.String()); err != nil {
			return classify(fmt.Errorf("drop staging tables: %w", err))
		}
		t.dropStages = t.dropStages[:0]
	}
	if m.stage != "" {
		return nil
	}
	t.stageSeq++
	name := "freshet_stage_" + strconv.Itoa(t.stageSeq)
	if _, err := t.conn.Exec(ctx, stageTableSQL(name, m.cols)); err != nil {
		return classify(fmt.Errorf("create staging table for %s: %w", m.id, err))
	}
	m.stage = name
	return nil
}
