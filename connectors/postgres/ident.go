package postgres

import (
	"errors"
	"strings"
)

// tableID names a table, optionally in a schema.
type tableID struct {
	Schema string // "" means the first schema of search_path
	Name   string
}

// String returns the quoted SQL name.
func (t tableID) String() string {
	if t.Schema == "" {
		return quoteIdent(t.Name)
	}
	return quoteIdent(t.Schema) + "." + quoteIdent(t.Name)
}

// quoteIdent quotes an SQL identifier. Identifiers are always quoted, as
// Kafka Connect's JDBC sink does by default (quote.sql.identifiers=always), so
// a field named "Order" maps to the column "Order", case kept.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteLiteral quotes an SQL string literal.
func quoteLiteral(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}

// parseTableID splits "schema.table" or "table". Quotes are not interpreted.
func parseTableID(s string) (tableID, error) {
	parts := strings.Split(s, ".")
	switch {
	case len(parts) == 1 && parts[0] != "":
		return tableID{Name: parts[0]}, nil
	case len(parts) == 2 && parts[0] != "" && parts[1] != "":
		return tableID{Schema: parts[0], Name: parts[1]}, nil
	}
	return tableID{}, errors.New("expected table or schema.table")
}

// tableFormat is a parsed table.name.format.
type tableFormat struct {
	schema string // may contain ${topic}
	table  string
}

const topicVar = "${topic}"

// parseTableFormat splits a format at a dot outside ${topic}, so that
// "inventory.${topic}" is the schema inventory, while a topic named
// "dbserver1.public.orders" stays one table name.
func parseTableFormat(f string) (tableFormat, error) {
	masked := strings.ReplaceAll(f, topicVar, strings.Repeat("_", len(topicVar)))
	i := strings.IndexByte(masked, '.')
	if i < 0 {
		if f == "" {
			return tableFormat{}, errors.New("empty table name")
		}
		return tableFormat{table: f}, nil
	}
	if strings.IndexByte(masked[i+1:], '.') >= 0 {
		return tableFormat{}, errors.New("expected table or schema.table (a dot outside ${topic} separates the schema)")
	}
	if i == 0 || i == len(f)-1 {
		return tableFormat{}, errors.New("empty schema or table name")
	}
	return tableFormat{schema: f[:i], table: f[i+1:]}, nil
}

// resolve returns the table for a topic.
func (f tableFormat) resolve(topic string) tableID {
	return tableID{
		Schema: strings.ReplaceAll(f.schema, topicVar, topic),
		Name:   strings.ReplaceAll(f.table, topicVar, topic),
	}
}
