// Package transform implements Kafka Connect's single message transforms
// (SMTs) and predicates for Freshet, configured with Kafka Connect's own keys
// (transforms, transforms.<alias>.type, transforms.<alias>.predicate,
// transforms.<alias>.negate, predicates, predicates.<alias>.type, and each
// plugin's keys under its alias prefix), so a connector JSON written for Kafka
// Connect works unchanged.
//
// NewChain parses a connector config once into a Chain; the sink and source
// task loops call Chain.Apply on each record. A transform is applied when it
// has no predicate, or when the predicate's result differs from negate, as
// Kafka Connect's TransformationStage does. A transform that drops the record
// (Filter) ends the chain with keep=false.
//
// Built-in transforms, each accepted by its Java class name and by the part
// after the last dot (InsertField$Value, RegexRouter):
//
//	org.apache.kafka.connect.transforms.InsertField$Key, $Value
//	org.apache.kafka.connect.transforms.ReplaceField$Key, $Value
//	org.apache.kafka.connect.transforms.ExtractField$Key, $Value
//	org.apache.kafka.connect.transforms.ValueToKey
//	org.apache.kafka.connect.transforms.TimestampRouter
//	org.apache.kafka.connect.transforms.RegexRouter
//	org.apache.kafka.connect.transforms.Filter
//
// and predicates org.apache.kafka.connect.transforms.predicates.TopicNameMatches,
// HasHeaderKey and RecordIsTombstone.
//
// Field transforms work on values with a schema (*sdk.Struct; a new schema is
// derived and cached per input schema pointer, and a new Struct is built) and
// on schemaless values (map[string]any; a new map is built). Input values are
// never modified, because a source connector may still hold them.
//
// Where Go differs from Java the package translates: Java regular expressions
// are compiled with Go's RE2 (lookaround and backreferences are rejected at
// config time, naming the key), RegexRouter's Java replacement syntax ($1,
// ${name}, \$) is translated to Go's, and TimestampRouter's
// java.text.SimpleDateFormat pattern is interpreted by a small formatter of
// its own (always UTC, as Kafka Connect formats it).
//
// This package is internal to Freshet: no compatibility promise. It starts no
// goroutines. A Chain is safe for concurrent use by several tasks: its only
// mutable state is the derived-schema caches, each guarded by its own mutex
// (never two held at once).
package transform
