package redis

import (
	"strconv"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// lineagePrefix starts the name of every lineage field.
const lineagePrefix = "_freshet."

// lineageSuffix is appended to a string value's key to name its companion
// hash, which holds the value's lineage fields.
const lineageSuffix = ":_freshet"

// Lineage field names, in the order they are written.
const (
	fieldTopic            = lineagePrefix + "topic"
	fieldPartition        = lineagePrefix + "partition"
	fieldOffset           = lineagePrefix + "offset"
	fieldTimestamp        = lineagePrefix + "timestamp"
	fieldSchemaName       = lineagePrefix + "schema_name"
	fieldSchemaVersion    = lineagePrefix + "schema_version"
	fieldSchemaID         = lineagePrefix + "schema_id"
	fieldConnector        = lineagePrefix + "connector"
	fieldConnectorVersion = lineagePrefix + "connector_version"
)

// lineageFields appends r's lineage to dst as field/value pairs for HSET or
// XADD. Fields the record does not carry (timestamp, schema name, version,
// id) are left out. Values are text: numbers in decimal, the timestamp in
// sdk.LineageTimeFormat (RFC 3339, UTC, milliseconds).
func (t *sinkTask) lineageFields(dst []any, r *sdk.Record) []any {
	l := t.cfg.lin.Of(r)
	dst = append(dst,
		fieldTopic, l.Topic,
		fieldPartition, strconv.FormatInt(int64(l.Partition), 10),
		fieldOffset, strconv.FormatInt(l.Offset, 10))
	if !l.Timestamp.IsZero() {
		dst = append(dst, fieldTimestamp, l.Timestamp.UTC().Format(sdk.LineageTimeFormat))
	}
	if l.SchemaName != "" {
		dst = append(dst, fieldSchemaName, l.SchemaName)
	}
	if l.SchemaVersion != 0 {
		dst = append(dst, fieldSchemaVersion, strconv.Itoa(l.SchemaVersion))
	}
	if l.SchemaID != 0 {
		dst = append(dst, fieldSchemaID, strconv.FormatInt(int64(l.SchemaID), 10))
	}
	return append(dst, fieldConnector, l.Connector, fieldConnectorVersion, l.ConnectorVersion)
}

// dropLineageFields removes the value's own fields whose names start with
// lineagePrefix from name/value pairs, in place: the lineage wins.
func dropLineageFields(fields []any) []any {
	out := fields[:0]
	for i := 0; i+1 < len(fields); i += 2 {
		if name, _ := fields[i].(string); strings.HasPrefix(name, lineagePrefix) {
			continue
		}
		out = append(out, fields[i], fields[i+1])
	}
	return out
}
