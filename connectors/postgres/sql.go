package postgres

import (
	"fmt"
	"strconv"
	"strings"
)

// Columns every staging table has before the data columns.
const (
	stageN   = "__freshet_n"   // the row's number in the transaction; statements select ranges of it
	stageDel = "__freshet_del" // the row deletes its key; else it writes the row
)

// savepoint is the name of the savepoint around each attempt. Nested
// savepoints of one name are fine: ROLLBACK TO and RELEASE take the newest.
const savepoint = "freshet_sp"

// ddlColumn is a column of a CREATE or ALTER TABLE.
type ddlColumn struct {
	name    string
	typ     string
	notNull bool
}

// createTableSQL creates a table with a primary key (none when pk is empty).
func createTableSQL(t tableID, cols []ddlColumn, pk []string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(t.String())
	b.WriteString(" (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.name))
		b.WriteByte(' ')
		b.WriteString(c.typ)
		if c.notNull {
			b.WriteString(" NOT NULL")
		}
	}
	if len(pk) > 0 {
		b.WriteString(", PRIMARY KEY (")
		writeIdents(&b, "", pk)
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return b.String()
}

// addColumnsSQL adds nullable columns: rows already in the table get NULL.
func addColumnsSQL(t tableID, cols []ddlColumn) string {
	var b strings.Builder
	b.WriteString("ALTER TABLE ")
	b.WriteString(t.String())
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" ADD COLUMN IF NOT EXISTS ")
		b.WriteString(quoteIdent(c.name))
		b.WriteByte(' ')
		b.WriteString(c.typ)
	}
	return b.String()
}

// introspectSQL lists a table's columns: name, declared type, whether it is a
// domain, the base type's name, and NOT NULL. No rows: no such table (or no
// columns, which the caller tells apart with to_regclass).
const introspectSQL = `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typtype = 'd', bt.typname, a.attnotnull
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`

// uniqueIndexesSQL lists the column sets of a table's unique indexes
// without predicates: those ON CONFLICT can use.
const uniqueIndexesSQL = `SELECT array_agg(a.attname::text ORDER BY k.n)
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL
GROUP BY i.indexrelid`

// stageTableSQL creates a session-local staging table for a target table:
// the row number and the delete flag, then one column per target column in its
// staging type. ON COMMIT DELETE ROWS empties it at the end of every
// transaction, committed or not.
func stageTableSQL(name string, cols []*colMeta) string {
	var b strings.Builder
	b.WriteString("CREATE TEMP TABLE ")
	b.WriteString(quoteIdent(name))
	b.WriteString(" (" + quoteIdent(stageN) + " integer, " + quoteIdent(stageDel) + " boolean")
	for _, c := range cols {
		b.WriteString(", ")
		b.WriteString(quoteIdent(c.name))
		b.WriteByte(' ')
		b.WriteString(c.kind.stageType())
	}
	b.WriteString(") ON COMMIT DELETE ROWS")
	return b.String()
}

// applyPlan holds what the statements of one segment need.
type applyPlan struct {
	mode   string // insert.mode
	table  tableID
	stage  string
	cols   []*colMeta // pk columns first
	npk    int
	hasDel bool
	hasPut bool
}

// sql returns the statements that apply staged rows lo ≤ n < hi to the
// table, separated by semicolons: a DELETE of the keys of the rows flagged
// del, then an INSERT, upsert or UPDATE of the others. The caller runs it
// over rows whose keys are distinct (one layer), so the order of the two
// does not matter.
func (p *applyPlan) sql(lo, hi int32) string {
	var b strings.Builder
	rng := func() {
		b.WriteString(" AND s.")
		b.WriteString(quoteIdent(stageN))
		b.WriteString(" >= ")
		b.WriteString(strconv.Itoa(int(lo)))
		b.WriteString(" AND s.")
		b.WriteString(quoteIdent(stageN))
		b.WriteString(" < ")
		b.WriteString(strconv.Itoa(int(hi)))
	}
	keyJoin := func() {
		for _, c := range p.cols[:p.npk] {
			b.WriteString(" AND t.")
			b.WriteString(quoteIdent(c.name))
			b.WriteString(" = ")
			b.WriteString(p.value(c))
		}
	}
	if p.hasDel {
		b.WriteString("DELETE FROM " + p.table.String() + " t USING " + quoteIdent(p.stage) + " s WHERE s." + quoteIdent(stageDel))
		rng()
		keyJoin()
	}
	if !p.hasPut {
		return b.String()
	}
	vals := p.cols[p.npk:]
	if p.mode == modeUpdate {
		if len(vals) == 0 {
			return b.String() // nothing to set
		}
		if p.hasDel {
			b.WriteString("; ")
		}
		b.WriteString("UPDATE " + p.table.String() + " t SET ")
		for i, c := range vals {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(c.name))
			b.WriteString(" = ")
			b.WriteString(p.value(c))
		}
		b.WriteString(" FROM " + quoteIdent(p.stage) + " s WHERE NOT s." + quoteIdent(stageDel))
		rng()
		keyJoin()
		return b.String()
	}
	if p.hasDel {
		b.WriteString("; ")
	}
	b.WriteString("INSERT INTO " + p.table.String() + " (")
	for i, c := range p.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.name))
	}
	b.WriteString(") SELECT ")
	for i, c := range p.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.value(c))
	}
	b.WriteString(" FROM " + quoteIdent(p.stage) + " s WHERE NOT s." + quoteIdent(stageDel))
	rng()
	if p.mode == modeUpsert {
		b.WriteString(" ON CONFLICT (")
		for i, c := range p.cols[:p.npk] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(c.name))
		}
		if len(vals) == 0 {
			b.WriteString(") DO NOTHING")
		} else {
			b.WriteString(") DO UPDATE SET ")
			for i, c := range vals {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(quoteIdent(c.name) + " = EXCLUDED." + quoteIdent(c.name))
			}
		}
	}
	return b.String()
}

// value is the staged value of a column, cast to the column's type when it
// was staged as text.
func (p *applyPlan) value(c *colMeta) string {
	v := "s." + quoteIdent(c.name)
	if c.kind == kindOther {
		v += "::" + c.typ
	}
	return v
}

// Offsets table statements. The sink's offsets live in one row per
// connector and partition: next_offset is the next offset to consume;
// retry_offsets lists offsets below it whose records failed and whose dead
// letters the runtime has not yet confirmed (see Flush), so a restart
// before that confirmation delivers them again.

func offsetsTableSQL(t tableID) string {
	return "CREATE TABLE IF NOT EXISTS " + t.String() + ` (
  connector text NOT NULL,
  topic text NOT NULL,
  "partition" integer NOT NULL,
  next_offset bigint NOT NULL,
  retry_offsets bigint[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connector, topic, "partition"))`
}

// offsetsSelectSQL reads partitions' rows. FOR UPDATE makes it wait for a
// transaction that holds them: one of a process that died with its COMMIT
// on the way, which may still commit.
func offsetsSelectSQL(t tableID) string {
	return `SELECT o.topic, o."partition", o.next_offset, o.retry_offsets FROM ` + t.String() +
		` o WHERE o.connector = $1 AND (o.topic, o."partition") IN (SELECT * FROM unnest($2::text[], $3::integer[])) FOR UPDATE`
}

// offsetsPlaceholderSQL creates missing rows (next_offset -1: nothing
// stored), so that every transaction finds a row to lock.
func offsetsPlaceholderSQL(t tableID) string {
	return "INSERT INTO " + t.String() + ` (connector, topic, "partition", next_offset)
SELECT $1, u.t, u.p, -1 FROM unnest($2::text[], $3::integer[]) AS u(t, p) ON CONFLICT DO NOTHING`
}

// offsetsLockSQL begins a transaction and locks the partitions' rows, with
// literal values so that it is one round trip. The writer compares what it
// reads with what it last wrote: a difference means another writer (a
// task that also owns the partition, or a dead process's last commit) got
// there first, and the transaction must not go on.
func offsetsLockSQL(t tableID, connector string, tps []offsetRow) string {
	if len(tps) == 0 {
		return "BEGIN" // only replayed records: nothing to lock
	}
	var b strings.Builder
	b.WriteString(`BEGIN; SELECT topic, "partition", next_offset, retry_offsets::text FROM ` + t.String() +
		" WHERE connector = " + quoteLiteral(connector) + ` AND (topic, "partition") IN (`)
	for i, r := range tps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + quoteLiteral(r.topic) + ", " + strconv.Itoa(int(r.partition)) + ")")
	}
	b.WriteString(") FOR UPDATE")
	return b.String()
}

// offsetsTrimSQL drops retry offsets below each row's next (here: the
// offset Flush confirms), leaving next_offset alone.
func offsetsTrimSQL(t tableID, connector string, rows []offsetRow) string {
	var b strings.Builder
	b.WriteString("UPDATE " + t.String() + ` AS o SET retry_offsets = ARRAY(SELECT x FROM unnest(o.retry_offsets) AS x WHERE x >= u.upto ORDER BY x), updated_at = now() FROM (VALUES `)
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + quoteLiteral(r.topic) + ", " + strconv.Itoa(int(r.partition)) + ", " + strconv.FormatInt(r.next, 10) + ")")
	}
	b.WriteString(`) AS u(topic, "partition", upto) WHERE o.connector = ` + quoteLiteral(connector) +
		` AND o.topic = u.topic AND o."partition" = u."partition"`)
	return b.String()
}

// parseOffsetArray parses an int8[] in text form: {1,2,3}.
func parseOffsetArray(s string) ([]int64, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		return nil, nil
	}
	var out []int64
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad offset list element %q", p)
		}
		out = append(out, n)
	}
	return out, nil
}

// offsetRow is one partition's stored state.
type offsetRow struct {
	topic     string
	partition int32
	next      int64
	retry     []int64
}

// offsetsUpsertSQL writes offset rows with literal values, so that it can
// share one round trip with the COMMIT that follows it.
func offsetsUpsertSQL(t tableID, connector string, rows []offsetRow) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.String() + ` AS o (connector, topic, "partition", next_offset, retry_offsets) VALUES `)
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + quoteLiteral(connector) + ", " + quoteLiteral(r.topic) + ", ")
		b.WriteString(strconv.Itoa(int(r.partition)))
		b.WriteString(", ")
		b.WriteString(strconv.FormatInt(r.next, 10))
		b.WriteString(", '{")
		for j, o := range r.retry {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(o, 10))
		}
		b.WriteString("}')")
	}
	b.WriteString(` ON CONFLICT (connector, topic, "partition") DO UPDATE SET next_offset = EXCLUDED.next_offset, ` +
		`retry_offsets = EXCLUDED.retry_offsets, updated_at = now()`)
	return b.String()
}

func writeIdents(b *strings.Builder, prefix string, names []string) {
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix)
		b.WriteString(quoteIdent(n))
	}
}
