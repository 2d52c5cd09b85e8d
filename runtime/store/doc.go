// Package store keeps the worker's control-plane state: connector configs,
// target states and task configs (Configs), and source connector positions
// (Offsets). It is internal to Freshet, with no compatibility promise.
//
// Each interface has these implementations:
//   - FileConfigs and FileOffsets, for standalone mode: one JSON file each;
//   - MemoryConfigs and MemoryOffsets, for tests;
//   - KafkaConfigs and KafkaOffsets, for distributed mode: compacted topics
//     in Kafka Connect's record formats (KafkaStatuses keeps statuses), which
//     read what other workers write and so also implement Syncer.
//
// All of them pass the behaviour suites in storetest.
//
// # Offsets
//
// An offset entry is identified by its connector and source partition; its
// canonical key is Kafka Connect's offsets-topic key ["<connector>",{partition}]
// (OffsetKey), with the partition's keys sorted, so that one partition always
// maps to one entry. Stores keep partitions and offsets as canonical JSON, and
// give numbers back as int64 when integral and float64 otherwise (see Offsets).
//
// # Files
//
// Both files are versioned, human-readable JSON. The configs file:
//
//	{
//	  "version": 1,
//	  "connectors": [
//	    {"name": "orders-es", "config": {...}, "target": "STARTED", "tasks": [{...}]}
//	  ]
//	}
//
// The offsets file, one entry per line:
//
//	{
//	  "version": 1,
//	  "offsets": {
//	    "file-source": [
//	      {"partition": {"filename":"/tmp/a.txt"}, "offset": {"position":30}}
//	    ]
//	  }
//	}
//
// A write replaces the whole file atomically: a temporary file in the same
// directory is written, fsynced and renamed over the file, then the directory
// is fsynced. A crash leaves the old or the new file, never a mix; stray
// temporary files are removed when the store opens. The in-memory copy is
// updated only after the write succeeded. A file that cannot be loaded is a
// *CorruptError naming it, never reset. Files are written with mode 0600:
// connector configs may hold credentials. One process must own a file: two
// stores open on the same path overwrite each other's writes.
//
// # Concurrency
//
// The file and memory stores start no goroutines. Each Kafka store starts
// one, which reads its topic from the start until Close and is the only
// path by which the store's view changes (a write waits until it has read
// the write back); its lock (tail.mu) is taken before the offsets core's. Every store is safe for concurrent use:
// each has one mutex, which guards its in-memory state and serialises its
// writes. A file store holds it during the write, fsyncs included, so reads
// wait for a write in progress. Encoding and decoding of offsets happen
// outside the lock.
package store
