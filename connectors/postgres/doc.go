// Package postgres is Freshet's PostgreSQL sink (Plugin, "postgres"). It reads
// the config keys of Kafka Connect's JDBC sinks and is registered under their
// class names too (io.confluent.connect.jdbc.JdbcSinkConnector,
// io.aiven.connect.jdbc.JdbcSinkConnector), so their connector JSON can be
// posted unchanged. Unlike them it delivers exactly once.
//
// # Rows
//
// Each record becomes a row of the table named by table.name.format (with
// ${topic}; a dot outside ${topic} separates the schema). Columns are the
// fields of the value (a Struct, or a map for JSON without schemas), filtered
// by fields.whitelist, plus the key columns of pk.mode: none; kafka (topic,
// partition, offset); record_key (the key's fields, or a primitive key under
// the one name in pk.fields); record_value (value fields). Identifiers are
// always quoted. insert.mode is insert (a duplicate key is a record error),
// upsert (INSERT … ON CONFLICT (key) DO UPDATE, DO NOTHING when only key
// columns) or update (UPDATE … WHERE key; a missing row stays missing).
// With delete.enabled (and pk.mode=record_key) a tombstone deletes its key's
// row; without it a tombstone is a record error, as in Kafka Connect.
//
// auto.create makes a missing table from the first records' schemas, with
// the key as primary key and required fields NOT NULL; auto.evolve adds
// missing columns, always nullable. Nothing is ever dropped or altered.
// Types: int8/int16 smallint, int32 integer, int64 bigint, float32 real,
// float64 double precision, boolean, string text, bytes bytea, Decimal
// numeric, Date date, Time time, Timestamp timestamptz (the JDBC sinks use
// timestamp; an instant is timestamptz), and arrays, maps and structs jsonb.
// Schemaless columns take the type of their first non-null value. Values are
// converted to the column's type on the way in (a Timestamp into a date
// column, "12" into an integer column); one that cannot be is a record error
// naming the column. Columns of other types (enums, arrays, domains of them)
// receive text and PostgreSQL casts it.
//
// # Lineage
//
// With freshet.lineage.enable=true every row written (insert, upsert or
// update; not deletes) also sets these columns, after the value's, naming the
// Kafka record it came from (see sdk.Lineage):
//
//	_freshet_topic             text         the record's topic (after transforms)
//	_freshet_partition         integer      its partition
//	_freshet_offset            bigint       its offset
//	_freshet_timestamp         timestamptz  its Kafka timestamp (NULL if none)
//	_freshet_schema_name       text         the value schema's name (NULL if none)
//	_freshet_schema_version    integer      the value schema's version (NULL if none)
//	_freshet_schema_id         integer      Schema Registry id: NULL until records carry it
//	_freshet_connector         text         the connector's name
//	_freshet_connector_version text         the plugin's version
//
// They are written in the row's own statement, so a row never shows another
// record's lineage; an upsert replaces them, naming the record that last
// wrote the row. auto.create and auto.evolve add them, nullable. Without
// auto.evolve a table that lacks any of them fails the task (a fatal error
// naming the columns) rather than dropping lineage. A value field with one of
// these names is not written while lineage is on.
//
// # Writing a batch
//
// A Put is one transaction. Its first statement locks the partitions' rows in
// the offsets table; its last stores their next offsets and commits. In
// between, the rows go by COPY in binary format, with values converted as
// they are sent, so that the conversion overlaps the server's work:
//
//   - In insert mode, and in upsert mode while the keys are new (the table
//     must have a unique index on exactly the key columns), COPY goes straight
//     into the table. A batch of one topic and one schema is copied from the
//     records without any intermediate rows. If the COPY fails (an existing
//     key, a bad row), the transaction is rolled back and run again the
//     general way; in upsert mode the COPY is then skipped for the next 1, 2,
//     4 … 64 batches, so update-heavy tables stop paying for it.
//   - Otherwise rows are copied into a session-local staging table (ON
//     COMMIT DELETE ROWS, base types without modifiers) and applied with one
//     DELETE and one INSERT … ON CONFLICT or UPDATE per layer: a key's first
//     row of the batch is in layer 0, its second in layer 1, so that no
//     statement touches a key twice and every record is tried, in order.
//   - When a statement fails for a row's reason (SQLSTATE class 22 or 23, and
//     a few more), the transaction is run again with a savepoint around each
//     statement, bisecting the failing range down to the rows that fail.
//     Those rows are record errors in the returned *sdk.BatchError, carrying
//     the SQLSTATE, constraint, column and detail (and the *pgconn.PgError in
//     the chain); their batch-mates are written.
//
// batch.size bounds the rows of one COPY or statement; the Put stays one
// transaction. Throughput follows the runtime's batch size: the per-batch
// round trips (lock, COPY, commit) are fixed costs.
//
// # Exactly once
//
// The offsets table (freshet.offsets.table, created if missing) holds one row
// per connector name and partition: next_offset, and retry_offsets, the
// failed records below it whose dead letters the runtime has not confirmed.
// It is written in the transaction of the rows, so a crash leaves both or
// neither. Open returns each partition's stored position (the first retry
// offset if any, else next_offset); the runtime resumes there, not at the
// consumer group. Put skips records already stored, so a batch delivered
// twice (a retry, a group offset behind the table) writes nothing twice.
// Flush writes nothing but trims retry_offsets below the offsets it is given:
// the runtime calls it once their dead letters are durable, and only then may
// a failed record be forgotten.
//
// Fencing: every transaction checks that the locked offset rows still hold
// what the task last wrote. If another writer got there first (a task that
// also believes it owns the partition, or a dead process whose COMMIT was
// already on its way), the transaction is abandoned, the offsets reloaded and
// the batch retried, so nothing is written twice. Open waits for a
// transaction in flight on its partitions. After a lost connection whose last
// COMMIT got no answer, the offsets are reloaded before anything is written.
//
// # Errors and retries
//
// Record errors: SQLSTATE classes 22 and 23, 21000, 42804, 54000, and values
// that cannot be converted. Retriable: lost or refused connections (08,
// network errors), serialization failures and deadlocks (40), shutdowns
// (57P01–57P05), resources (53), lock timeouts; Put retries them itself up to
// max.retries times, retry.backoff.ms apart, on a new connection, then
// returns them classified as retriable. Fatal: everything else, such as bad
// credentials (28), a missing table with auto.create=false (the message names
// the table and the setting), a table without the unique index that upsert
// needs, missing privileges.
//
// # Goroutines
//
// A task is called from one goroutine at a time and starts none of its own;
// pgconn runs COPY's sending side in a goroutine that it waits for. The task
// holds one connection, opened by Start and closed by Stop or after an error.
package postgres
