package sdk

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// LineageEnableKey is the sink connector config key that turns lineage on:
// with it, a sink writes with every row, document or line the Kafka record it
// came from (see Lineage). Sinks declare it with WithLineage so that the key,
// its default and its doc agree across connectors.
const LineageEnableKey = "freshet.lineage.enable"

// LineageGroup is the config group WithLineage puts LineageEnableKey in.
const LineageGroup = "Lineage"

// WithLineage declares LineageEnableKey (BOOLEAN, default false) in d, in the
// "Lineage" group, and returns d.
func WithLineage(d *ConfigDef) *ConfigDef {
	return d.Bool(LineageEnableKey, false, "Write, with every row, document or line, the Kafka record it "+
		"came from: topic, partition, offset, record timestamp, value schema name, version and registry id "+
		"(when known), and the connector's name and version. Freshet only",
		InGroup(LineageGroup), WithImportance(Low))
}

// Lineage names the Kafka record a sink row, document or line came from, and
// the connector that wrote it. It holds no key, value or headers, so that it
// is safe to index.
type Lineage struct {
	Topic     string    `json:"topic"` // after transforms: a renamed topic shows here
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Timestamp time.Time `json:"timestamp"` // the Kafka record's timestamp; zero if it has none
	// SchemaName and SchemaVersion are those of the record's value schema
	// ("" and 0 when it has none, or they are not set).
	SchemaName    string `json:"schema_name,omitempty"`
	SchemaVersion int    `json:"schema_version,omitempty"`
	// SchemaID is the Schema Registry id of the value's writer schema. Record
	// does not carry it yet (the proposed Record.ValueSchemaID, set by
	// converters that read the registry wire format), so it is always 0 for
	// now; sinks write it as absent or NULL when 0.
	SchemaID         int32  `json:"schema_id,omitempty"`
	Connector        string `json:"connector"`
	ConnectorVersion string `json:"connector_version"`
}

// LineageFor returns the part of every record's lineage that comes from the
// task config: the connector's name and version, which the runtime puts in
// every task config under TaskConfigConnectorName and
// TaskConfigConnectorVersion. A sink calls it once in Start and then Of per
// record.
func LineageFor(taskCfg map[string]string) Lineage {
	return Lineage{
		Connector:        taskCfg[TaskConfigConnectorName],
		ConnectorVersion: taskCfg[TaskConfigConnectorVersion],
	}
}

// Of returns l with the record fields set from r; the connector fields stay.
// It does not allocate.
func (l Lineage) Of(r *Record) Lineage {
	l.Topic, l.Partition, l.Offset, l.Timestamp = r.Topic, r.Partition, r.Offset, r.Timestamp
	l.SchemaName, l.SchemaVersion, l.SchemaID = "", 0, 0
	if s := r.ValueSchema; s != nil {
		l.SchemaName, l.SchemaVersion = s.Name, s.Version
	}
	return l
}

// LineageOf returns r's lineage, with the connector's name and version from
// taskCfg. It is LineageFor(taskCfg).Of(r).
func LineageOf(r *Record, taskCfg map[string]string) Lineage {
	return LineageFor(taskCfg).Of(r)
}

// LineageTimeFormat is the layout of Lineage.Timestamp in text and JSON forms:
// RFC 3339 in UTC with milliseconds, the precision of Kafka timestamps.
const LineageTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// AppendJSON appends l as a compact JSON object with the fields in
// declaration order and the names of the struct tags: schema_name,
// schema_version and schema_id are left out when empty, and timestamp is a
// LineageTimeFormat string (null when zero). It does not allocate beyond
// growing b.
func (l Lineage) AppendJSON(b []byte) []byte {
	b = append(b, `{"topic":`...)
	b = appendLineageString(b, l.Topic)
	b = append(b, `,"partition":`...)
	b = strconv.AppendInt(b, int64(l.Partition), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, l.Offset, 10)
	b = append(b, `,"timestamp":`...)
	if l.Timestamp.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = l.Timestamp.UTC().AppendFormat(b, LineageTimeFormat)
		b = append(b, '"')
	}
	if l.SchemaName != "" {
		b = append(b, `,"schema_name":`...)
		b = appendLineageString(b, l.SchemaName)
	}
	if l.SchemaVersion != 0 {
		b = append(b, `,"schema_version":`...)
		b = strconv.AppendInt(b, int64(l.SchemaVersion), 10)
	}
	if l.SchemaID != 0 {
		b = append(b, `,"schema_id":`...)
		b = strconv.AppendInt(b, int64(l.SchemaID), 10)
	}
	b = append(b, `,"connector":`...)
	b = appendLineageString(b, l.Connector)
	b = append(b, `,"connector_version":`...)
	b = appendLineageString(b, l.ConnectorVersion)
	return append(b, '}')
}

// appendLineageString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendLineageString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\\ufffd"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
