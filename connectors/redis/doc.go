// Package redis is Freshet's Redis sink (Plugin, "redis"): a feature cache
// written exactly once.
//
// # Data
//
// Each record is written under the key of redis.key.template, with ${topic},
// ${partition} and ${key} (a struct or map key gives its field values joined
// by ":", map keys sorted); the default is ${topic}:${key}, and ${topic} for
// streams. redis.type chooses the data structure:
//
//   - hash: the value's fields (a Struct, or a map for JSON without schemas)
//     become the hash's fields, replacing the hash (DEL, then HSET), so a
//     field that became null is gone. Nulls are left out; scalars are written
//     as text (numbers in their shortest form, booleans true/false, decimals
//     as plain numbers, times in RFC 3339), bytes as they are, and nested
//     values as JSON. A value that is not a struct or map is a record error.
//   - string: SET of the value: strings and bytes as they are, structs, maps
//     and arrays as JSON, other scalars as text.
//   - stream: XADD of the value's fields (a scalar under the field "value"),
//     trimmed to about redis.stream.maxlen entries when set. A key that holds
//     another type is a record error (checked before the transaction).
//
// A tombstone deletes the key (hash, string); a stream has nothing to delete,
// so tombstones are skipped there. redis.key.ttl sets a TTL (seconds) on
// every key written.
//
// # Lineage
//
// With freshet.lineage.enable=true every write also names the Kafka record it
// came from (see sdk.Lineage), in the same MULTI/EXEC as the data, in fields
// _freshet.topic, _freshet.partition, _freshet.offset, _freshet.timestamp
// (RFC 3339, UTC, milliseconds), _freshet.schema_name, _freshet.schema_version,
// _freshet.schema_id (the Schema Registry id; records do not carry it yet),
// _freshet.connector and _freshet.connector_version. Fields the record does
// not carry (timestamp, schema name, version, id) are left out. Where they go:
//
//   - hash: in the hash itself, after the value's fields, in the same HSET; a
//     value field whose name starts with "_freshet." is not written;
//   - string: in a companion hash named by the key plus ":_freshet", replaced
//     (DEL, HSET) with every SET and given the same TTL; a tombstone deletes
//     both keys;
//   - stream: in the entry, after the value's fields.
//
// # Exactly once
//
// Each chunk of at most batch.size records is one MULTI/EXEC transaction,
// sent in one pipelined round trip, that also sets the partitions' offsets:
// one hash per partition, named freshet.offsets.key + ":topic/partition",
// with fields next (the next offset) and retry (failed offsets below next
// whose dead letters the runtime has not confirmed). Redis applies a
// transaction whole or not at all, so a crash leaves both or neither. Open
// returns each partition's stored position (the first retry offset, else
// next), Put skips records already written, and Flush trims retry below the
// offsets it is given, once their dead letters are durable.
//
// Fencing: the offset hashes are WATCHed and compared with what the task last
// wrote before each transaction; if another writer got there first, nothing
// is written, the offsets are reloaded and the chunk retried. After a lost
// connection whose EXEC got no answer, offsets are reloaded before anything
// is written (go-redis's own retries are off, since a resent EXEC could apply
// twice). Durability is the server's: with persistence off, a Redis restart
// loses data and offsets together, and the runtime resumes from the consumer
// group; use appendonly yes with appendfsync always for no loss.
//
// # Errors and retries
//
// Record errors: a null key where the template needs ${key}, a value of the
// wrong shape, WRONGTYPE. Retriable: network errors, LOADING, BUSY, READONLY,
// OOM, MASTERDOWN, a WATCHed key that changed; Put retries them up to
// max.retries times, retry.backoff.ms apart, then returns them classified.
// Fatal: authentication (NOAUTH, WRONGPASS), permissions, unknown commands.
//
// # Goroutines
//
// A task is called from one goroutine at a time and starts none; go-redis's
// client (two connections) is created by Start and closed by Stop.
package redis
