// Package file holds Freshet's built-in file connectors, which read the config
// keys of Kafka Connect's FileStreamSinkConnector and FileStreamSourceConnector
// so that existing connector JSON can be posted unchanged.
//
// The sink (SinkPlugin, "file-sink") appends each record's value to a file as
// one line, or to standard output when "file" is not set. The line is formed
// like Kafka's FileStreamSinkTask, which prints record.value().toString():
//
//   - a string is written as is, and a nil value as "null";
//   - []byte and sdk.Raw are written as raw bytes. Java would print the array's
//     identity ("[B@1b6d3586"), which is useless, so we print the bytes as text;
//   - booleans and numbers in their usual text form; sdk.Decimal as a plain
//     number; time.Time in RFC 3339;
//   - *sdk.Struct, maps and slices as compact JSON (struct fields in schema
//     order, map keys sorted), where Java would print Struct{a=1} or {a=1}.
//     Nested []byte is base64, as in JSON; NaN and infinities are written as
//     the strings "NaN", "Infinity" and "-Infinity".
//
// A value that contains a newline is written as is, so it spans several lines,
// as in Kafka. The Freshet-only option freshet.file.include.coordinates prefixes
// every line with "topic/partition/offset" and a tab, which lets tests check
// per-partition order and count duplicates.
//
// With freshet.lineage.enable=true every line is instead one JSON object that
// wraps the value and names the Kafka record it came from:
//
//	{"value":{"id":7},"_lineage":{"topic":"clicks","partition":2,"offset":41,
//	 "timestamp":"2024-05-01T10:30:00.123Z","schema_name":"com.example.Click",
//	 "schema_version":3,"connector":"clicks-to-file","connector_version":"0.1.0"}}
//
// (on one line). "value" is the value as JSON: a string, []byte or sdk.Raw as
// a JSON string of the text the sink would otherwise write, a nil value as
// null, everything else as above. "_lineage" is sdk.Lineage.AppendJSON:
// timestamp is the record's Kafka timestamp in RFC 3339 UTC with milliseconds
// (null when the record has none); schema_name, schema_version and schema_id
// (the Schema Registry id, which records do not carry yet) are left out when
// unknown. A value with newlines therefore stays on one line. The coordinates
// prefix, when also on, comes before the object.
//
// The sink buffers lines in memory (about 1 MiB) and writes whole lines only.
// Flush writes the buffer and fsyncs the file (standard output is not synced),
// then returns the offsets it was given, so the runtime commits only what is on
// disk. Delivery is at least once: after an I/O error a retried Put or a
// restarted task may write some lines twice. Like Kafka, every task appends to
// the same file (opened with O_APPEND); each write holds whole lines, so lines
// of different tasks do not interleave on local file systems.
//
// The source (SourcePlugin, "file-source") tails one file and emits each line
// as a string value (sdk.StringSchema, as Kafka's Schema.STRING_SCHEMA) with no
// key, the source partition {"filename": file} and the source offset
// {"position": P}, where P is the byte offset just after the line's terminator,
// exactly as Kafka's FileStreamSourceTask. Lines end with "\n", "\r\n" or "\r";
// a last line without a terminator is not emitted until it is completed. On
// start the task seeks to the persisted position, so after a crash it resumes
// without losing or repeating committed lines; at the end of the file it waits
// for more data. Differences from Kafka: positions count bytes (Kafka counts
// UTF-16 chars but skips bytes when it resumes, which breaks on non-ASCII
// text); the "file" key is required, because a worker's standard input is not
// a useful source; invalid UTF-8 is replaced with U+FFFD, as Java's decoder
// does. A file that is truncated or replaced is not detected: reading resumes
// at the old position. The source runs one task whatever tasks.max says.
//
// Neither connector starts goroutines. A task is called from one goroutine at a
// time, as the sdk promises, and holds no locks.
package file
