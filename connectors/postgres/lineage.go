package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// lineagePrefix starts the name of every lineage column.
const lineagePrefix = "_freshet_"

// lineageColumns are the columns freshet.lineage.enable adds to every row
// written (not to deletes), after the value's columns, in this order. All
// are nullable: a table may hold rows written without lineage, and the
// schema columns are NULL when the record does not say.
var lineageColumns = []struct {
	name   string
	schema *sdk.Schema
	from   uint8
}{
	{lineagePrefix + "topic", sdk.OptionalStringSchema, fromTopic},                        // text
	{lineagePrefix + "partition", sdk.OptionalInt32Schema, fromPartition},                 // integer
	{lineagePrefix + "offset", sdk.OptionalInt64Schema, fromOffset},                       // bigint
	{lineagePrefix + "timestamp", sdk.TimestampSchema.WithOptional(), fromTimestamp},      // timestamptz
	{lineagePrefix + "schema_name", sdk.OptionalStringSchema, fromSchemaName},             // text
	{lineagePrefix + "schema_version", sdk.OptionalInt32Schema, fromSchemaVersion},        // integer
	{lineagePrefix + "schema_id", sdk.OptionalInt32Schema, fromSchemaID},                  // integer
	{lineagePrefix + "connector", sdk.OptionalStringSchema, fromConnector},                // text
	{lineagePrefix + "connector_version", sdk.OptionalStringSchema, fromConnectorVersion}, // text
}

// isLineageColumn reports whether name is one of lineageColumns. A value
// field of that name is not written when lineage is on: the lineage wins.
func isLineageColumn(name string) bool {
	if !strings.HasPrefix(name, lineagePrefix) {
		return false
	}
	for _, c := range lineageColumns {
		if c.name == name {
			return true
		}
	}
	return false
}

// lineageValue returns the value of a lineage column for r: nil for what
// the record does not carry (no timestamp, no schema name, version or id).
// lin holds the connector's name and version.
func lineageValue(from uint8, r *sdk.Record, lin *sdk.Lineage) any {
	switch from {
	case fromTopic:
		return r.Topic
	case fromPartition:
		return r.Partition
	case fromOffset:
		return r.Offset
	case fromTimestamp:
		if r.Timestamp.IsZero() {
			return nil
		}
		return r.Timestamp
	case fromSchemaName:
		if r.ValueSchema == nil || r.ValueSchema.Name == "" {
			return nil
		}
		return r.ValueSchema.Name
	case fromSchemaVersion:
		if r.ValueSchema == nil || r.ValueSchema.Version == 0 {
			return nil
		}
		return int32(r.ValueSchema.Version)
	case fromSchemaID:
		return nil // records carry no Schema Registry id yet (sdk.Lineage.SchemaID)
	case fromConnector:
		return lin.Connector
	case fromConnectorVersion:
		return lin.ConnectorVersion
	}
	panic("postgres: unknown column source " + strconv.Itoa(int(from)))
}

// missingLineageError is the fatal error of a table that lacks lineage
// columns when auto.evolve is off: lineage is never dropped silently.
func missingLineageError(id tableID, names []string) error {
	var lin []string
	for _, n := range names {
		if isLineageColumn(n) {
			lin = append(lin, strconv.Quote(n))
		}
	}
	if len(lin) == 0 {
		return nil
	}
	return sdk.Fatal(fmt.Errorf("table %s has no lineage column %s, freshet.lineage.enable is true and "+
		"auto.evolve is false: add the columns, set auto.evolve=true, or turn lineage off",
		id, strings.Join(lin, ", ")))
}
