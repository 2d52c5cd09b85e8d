package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

var errTest = errors.New("test")

func TestClassOfCode(t *testing.T) {
	for code, want := range map[string]sdk.Class{
		"23505": sdk.ClassRecord, // unique
		"23514": sdk.ClassRecord, // check
		"23502": sdk.ClassRecord, // not null
		"23503": sdk.ClassRecord, // foreign key
		"22001": sdk.ClassRecord, // value too long
		"22003": sdk.ClassRecord, // out of range
		"22P02": sdk.ClassRecord, // invalid text representation
		"54000": sdk.ClassRecord,
		"40001": sdk.ClassRetriable, // serialization failure
		"40P01": sdk.ClassRetriable, // deadlock
		"08006": sdk.ClassRetriable, // connection failure
		"57P01": sdk.ClassRetriable, // admin shutdown
		"57P03": sdk.ClassRetriable, // cannot connect now
		"53300": sdk.ClassRetriable, // too many connections
		"28P01": sdk.ClassFatal,     // bad password
		"3D000": sdk.ClassFatal,     // no such database
		"42501": sdk.ClassFatal,     // insufficient privilege
		"42P01": sdk.ClassFatal,     // undefined table
	} {
		if got := classOfCode(code); got != want {
			t.Errorf("%s: %v, want %v", code, got, want)
		}
	}
}

func TestClassOf(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want sdk.Class
	}{
		{fmt.Errorf("x: %w", &pgconn.PgError{Code: "23505"}), sdk.ClassRecord},
		{io.ErrUnexpectedEOF, sdk.ClassRetriable},
		{context.DeadlineExceeded, sdk.ClassRetriable},
		{sdk.Fatal(io.EOF), sdk.ClassFatal},
	} {
		if got := classOf(tt.err); got != tt.want {
			t.Errorf("%v: %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestRecordErrorCarriesCodeAndConstraint(t *testing.T) {
	pg := &pgconn.PgError{Code: "23514", Message: `new row for relation "orders" violates check constraint "price_positive"`,
		ConstraintName: "price_positive", Detail: "Failing row contains (1, -5)."}
	err := recordError(tableID{Schema: "s", Name: "orders"}, pg)
	if c, _ := sdk.ClassOf(err); c != sdk.ClassRecord {
		t.Errorf("class = %v", c)
	}
	for _, want := range []string{"SQLSTATE 23514", "constraint price_positive", `"s"."orders"`, "Failing row"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	var got *pgconn.PgError
	if !errors.As(err, &got) || got.Code != "23514" {
		t.Error("the PgError is not in the chain")
	}
}

func TestTableErrorNoUniqueIndex(t *testing.T) {
	err := tableError(tableID{Name: "t"}, "write to", &pgconn.PgError{Code: "42P10"})
	if c, _ := sdk.ClassOf(err); c != sdk.ClassFatal || !strings.Contains(err.Error(), "unique index") {
		t.Errorf("%v (%v)", err, c)
	}
}
