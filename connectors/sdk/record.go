package sdk

import (
	"fmt"
	"time"
)

// TopicPartition names one Kafka partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// Offsets maps partitions to the next offset to consume, the way Kafka commits
// offsets: 10 means every record at offsets 0 through 9 is done.
type Offsets map[TopicPartition]int64

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one record as connectors see it: the Kafka coordinates, and a key
// and value in Kafka Connect's data model (see Schema). A nil Value is a
// tombstone.
type Record struct {
	Topic     string
	Partition int32 // sink records; source records are partitioned by key
	Offset    int64 // sink records only
	Timestamp time.Time

	Key         any
	KeySchema   *Schema // nil when the key has no schema
	Value       any
	ValueSchema *Schema // nil when the value has no schema
	Headers     []Header

	// SourcePartition and SourceOffset are set by source tasks: where in the
	// external system this record came from, in Kafka Connect's map form.
	// The runtime persists SourceOffset per SourcePartition once the record
	// is acknowledged by Kafka, and only then calls SourceTask.Commit.
	SourcePartition map[string]any
	SourceOffset    map[string]any
}

// Header returns the value of the last header named key, and whether there is one.
func (r *Record) Header(key string) ([]byte, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return r.Headers[i].Value, true
		}
	}
	return nil, false
}

// TopicPartition returns the record's partition.
func (r *Record) TopicPartition() TopicPartition {
	return TopicPartition{Topic: r.Topic, Partition: r.Partition}
}

// Raw is a key or value that is already serialized: converters write it
// unchanged. Source connectors use it to emit bytes they produced themselves
// (datagen's deliberately malformed records, a replayed dead letter).
type Raw []byte
