// Package datagen is a source connector ("datagen") that generates the
// e-commerce personalization events Freshet's users run, for demos,
// end-to-end tests and benchmarks.
//
// # Events
//
// Every record is keyed by a customer id, a string such as "cust-000123"
// (key schema sdk.OptionalStringSchema); some customers are far more active
// than others (cust-000000 sends about 0.2% of the events of 10000
// customers). The event types (config event.types, default all) are:
//
//   - behaviour: page_view, search, add_to_cart, checkout, return;
//   - context: inventory_change, price_change;
//   - decision: recommendation (a recommendation shown: model_version,
//     placement, ranked_items and their scores, best first);
//   - governance: consent_change, and deletion_request, which is a tombstone:
//     a nil value with a nil value schema, so that converters write a null
//     value and compacted topics and upserting sinks delete the customer.
//
// Context events carry the customer id of the session they were observed
// in, so one key scheme fits every event. Deleted customers may reappear
// later in the stream: the generator keeps no state between records.
//
// With schemas=true (the default) values are *sdk.Struct of one shared, flat
// schema, com.freshet.datagen.Event version 1, so every event fits one table.
// event_id (a UUID), event_type, customer_id (strings) and ts (Timestamp) are
// always set; the other fields are optional and set by type: session_id,
// device, page, referrer, item_id, category, query, results_count (int32),
// quantity (int32; negative for an inventory decrease), price and
// previous_price, currency, order_id, return_reason, model_version,
// placement, ranked_items (array of string), scores (array of float64),
// consent_purpose, consent_granted (boolean), warehouse and stock (int32).
// Money is Decimal(10,2) (Kafka Connect's Decimal with scale 2 and the
// parameter connect.decimal.precision=10), because money in floating point
// is a bug users should not copy; price is the unit price, or the order
// total for a checkout. With schemas=false values are map[string]any with
// only the fields that apply, in JSON's model: ts in epoch milliseconds,
// money as a number of currency units (float64), integers as int64. An event
// serialized as schemaless JSON is about 300 bytes.
//
// malformed.ratio (default 0) is the fraction of non-tombstone records whose
// value is replaced by sdk.Raw bytes that are not JSON (truncated JSON, a
// Python dict, a NaN, binary junk), with no value schema, so that JSON
// converters fail on them and the dead-letter path can be exercised.
//
// # Sequence, offsets and determinism
//
// Each task numbers its records 0, 1, 2, …. The source partition is
// {"task": N} and the source offset {"seq": n+1} for record n: the sequence
// number of the next record. A task reads its offset at Start and continues
// from there. A record is a pure function of seed, its task slot (index and
// tasks.max), customers, event.types, malformed.ratio, schemas and its
// sequence number; only ts and the record timestamp (both the current time,
// in milliseconds) come from the clock. So a task restarted from a persisted
// seq regenerates exactly the stream it would have produced, and the same
// config gives the same events on any machine. Changing malformed.ratio only
// changes which records are malformed.
//
// tasks.max > 1 splits the customers into contiguous ranges, one per task,
// and gives each task its own random stream; it never runs more tasks than
// customers. rate.per.sec and max.records are totals for the connector,
// shared evenly by its tasks. max.records counts sequence numbers, so a
// restarted connector does not produce more than it; once a task has
// produced its share, Poll blocks until its context is done.
//
// # Rate
//
// rate.per.sec (default 1000; 0 means as fast as possible) is a ceiling
// kept on average: Poll returns what the rate allows per about 50 ms, at
// most 500 records, and when the records are consumed more slowly than the
// rate, a backlog of more than a second is forgiven rather than sent as a
// burst. Poll returns an empty batch after waiting a second for the rate.
//
// The package starts no goroutines. A task is called from one goroutine at a
// time and holds no locks.
package datagen
