package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// classOfCode classifies a PostgreSQL SQLSTATE.
//
// Record errors are the ones a row causes and that no retry can fix: data
// exceptions (class 22: value too long, out of range, invalid text),
// integrity constraint violations (class 23: not null, foreign key, unique,
// check, exclusion), and a few single-row limits. Retriable ones come from
// the server's state, not the row: lost or refused connections (08),
// serialization failures and deadlocks (40), shutdowns (57P01–57P03),
// exhausted resources (53), lock timeouts. Everything else (bad credentials,
// missing privileges, syntax or undefined objects) is fatal: the task cannot
// make progress until someone changes the database or the config.
func classOfCode(code string) sdk.Class {
	switch {
	case strings.HasPrefix(code, "22"), strings.HasPrefix(code, "23"):
		return sdk.ClassRecord
	case code == "21000", // cardinality violation
		code == "54000", // program limit exceeded: index row too large
		code == "42804": // datatype mismatch
		return sdk.ClassRecord
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "40"),
		strings.HasPrefix(code, "53"), strings.HasPrefix(code, "58"),
		code == "57P01", code == "57P02", code == "57P03", code == "57P04", code == "57P05",
		code == "57014", // query canceled (statement_timeout, or our own cancel)
		code == "55P03", // lock not available
		code == "55006", // object in use
		code == "25P02", // in failed transaction: a protocol slip; a new connection recovers
		code == "25P03": // idle in transaction timeout
		return sdk.ClassRetriable
	}
	return sdk.ClassFatal
}

// classOf classifies any error the sink sees from pgx.
func classOf(err error) sdk.Class {
	if c, ok := sdk.ClassOf(err); ok {
		return c
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		c := classOfCode(pg.Code)
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) && c == sdk.ClassRecord {
			c = sdk.ClassFatal // a data exception while connecting is a config problem
		}
		return c
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.As(err, &ne), pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return sdk.ClassRetriable
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return sdk.ClassRetriable // refused, unreachable: the server may be restarting
	}
	// The rest are pgx's own errors on a broken connection ("conn closed",
	// "conn busy", unexpected messages); a new connection recovers.
	return sdk.ClassRetriable
}

// classify wraps err with its class, unless it already carries one.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := sdk.ClassOf(err); ok {
		return err
	}
	switch classOf(err) {
	case sdk.ClassRecord:
		return sdk.RecordErr(err)
	case sdk.ClassRetriable:
		return sdk.Retriable(err)
	}
	return sdk.Fatal(err)
}

// rowError is a record error raised by PostgreSQL for one row. Its message
// carries the SQLSTATE, the constraint and the detail, which the dead-letter
// headers then show.
type rowError struct {
	table tableID
	pg    *pgconn.PgError
}

func (e *rowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "write to %s: %s (SQLSTATE %s", e.table, e.pg.Message, e.pg.Code)
	if e.pg.ConstraintName != "" {
		fmt.Fprintf(&b, ", constraint %s", e.pg.ConstraintName)
	}
	if e.pg.ColumnName != "" {
		fmt.Fprintf(&b, ", column %s", e.pg.ColumnName)
	}
	b.WriteByte(')')
	if e.pg.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.pg.Detail)
	}
	return b.String()
}

func (e *rowError) Unwrap() error { return e.pg }

// recordError turns the error of a failed single-row attempt into the
// record's error.
func recordError(t tableID, err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return sdk.RecordErr(&rowError{table: t, pg: pg})
	}
	return sdk.RecordErr(fmt.Errorf("write to %s: %w", t, err))
}

// tableError explains errors about a table as a whole.
func tableError(t tableID, op string, err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "42P10" {
		return sdk.Fatal(fmt.Errorf("%s %s: the table has no primary key or unique index on the pk.fields "+
			"columns, which insert.mode=upsert needs: %w", op, t, err))
	}
	return classify(fmt.Errorf("%s %s: %w", op, t, err))
}
