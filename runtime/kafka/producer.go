package kafka

import (
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka's producer defaults that the mapping below needs.
const (
	kafkaBatchSize      = 16384
	kafkaMaxRequestSize = 1 << 20
	kgoMaxBrokerWrite   = 100 << 20 // franz-go's BrokerMaxWriteBytes default
)

// ProducerOpts returns ClientOpts plus the producer keys:
//
//	acks                       kgo.RequiredAcks: all or -1, 1, 0
//	enable.idempotence         kgo.DisableIdempotentWrite when false
//	transactional.id           kgo.TransactionalID
//	transaction.timeout.ms     kgo.TransactionTimeout
//	linger.ms                  kgo.ProducerLinger (at most 60000, franz-go's limit)
//	batch.size, max.request.size  kgo.ProducerBatchMaxBytes (see below)
//	compression.type           kgo.ProducerBatchCompression: none, gzip, snappy, lz4, zstd
//	delivery.timeout.ms        kgo.RecordDeliveryTimeout
//	retries                    kgo.RecordRetries
//	max.in.flight.requests.per.connection  kgo.MaxProduceRequestsInflightPerBroker
//	                           (without idempotence; with it, at most 5 as in Kafka)
//	buffer.memory              kgo.MaxBufferedBytes
//	request.timeout.ms         also kgo.ProduceRequestTimeout
//
// Idempotence follows Kafka 3.2+: it is on unless enable.idempotence=false,
// or unless enable.idempotence is unset and acks is not all or
// max.in.flight.requests.per.connection exceeds 5; setting it to true
// together with such values is an error. transactional.id needs it.
//
// franz-go's batch limit is also its record limit: a record larger than
// ProducerBatchMaxBytes is refused, while Kafka refuses only records larger
// than max.request.size and treats batch.size as a soft target. So that
// every record Kafka accepts is accepted here, the limit is the larger of
// batch.size and max.request.size, each defaulting to Kafka's (16384 and
// 1048576) when only the other is set; with neither set, franz-go's
// 1000012 applies. A batch.size below 1 MiB therefore does not shrink
// batches.
func ProducerOpts(props map[string]string) ([]kgo.Opt, error) {
	r := newReader(props)
	opts := r.client()
	opts = append(opts, r.producer()...)
	return r.done(opts)
}

func (r *reader) producer() []kgo.Opt {
	var opts []kgo.Opt

	acks, acksSet := r.oneOf("acks", "all", "-1", "1", "0")
	idem, idemSet := r.boolean("enable.idempotence")
	inflight, inflightSet := r.number("max.in.flight.requests.per.connection", 1, math.MaxInt32, "")
	acksAll := !acksSet || acks == "all" || acks == "-1"
	switch {
	case !idemSet:
		idem = acksAll && (!inflightSet || inflight <= 5)
	case idem && !acksAll:
		r.fail("enable.idempotence", "enable.idempotence=true requires acks=all (or -1): set acks=all, or enable.idempotence=false")
	case idem && inflightSet && inflight > 5:
		r.fail("enable.idempotence", "enable.idempotence=true requires max.in.flight.requests.per.connection to be at most 5")
	}
	switch acks {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	}
	if !idem {
		opts = append(opts, kgo.DisableIdempotentWrite())
		if inflightSet {
			opts = append(opts, kgo.MaxProduceRequestsInflightPerBroker(int(inflight)))
		}
	}
	if id, ok := r.get("transactional.id"); ok && id != "" {
		if !idem {
			r.fail("transactional.id", "transactional.id requires idempotence: remove enable.idempotence=false (and set acks=all)")
		}
		opts = append(opts, kgo.TransactionalID(id))
	}
	if d, ok := r.millis("transaction.timeout.ms", time.Millisecond, math.MaxInt32*time.Millisecond, ""); ok {
		opts = append(opts, kgo.TransactionTimeout(d))
	}
	if d, ok := r.millis("linger.ms", 0, time.Minute, "franz-go's limit"); ok {
		opts = append(opts, kgo.ProducerLinger(d))
	}

	batch, batchSet := r.number("batch.size", 0, 1<<30, "franz-go's limit")
	maxReq, maxReqSet := r.number("max.request.size", 512, 1<<30, "franz-go's limits")
	if batchSet || maxReqSet {
		if !batchSet {
			batch = kafkaBatchSize
		}
		if !maxReqSet {
			maxReq = kafkaMaxRequestSize
		}
		limit := max(batch, maxReq)
		opts = append(opts, kgo.ProducerBatchMaxBytes(int32(limit)))
		if limit > kgoMaxBrokerWrite {
			opts = append(opts, kgo.BrokerMaxWriteBytes(int32(limit)))
		}
	}

	if c, ok := r.oneOf("compression.type", "none", "gzip", "snappy", "lz4", "zstd"); ok {
		codec := map[string]kgo.CompressionCodec{
			"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
			"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
		}[c]
		opts = append(opts, kgo.ProducerBatchCompression(codec))
	}
	if d, ok := r.millis("delivery.timeout.ms", time.Second, math.MaxInt32*time.Millisecond, "franz-go's minimum is 1000"); ok {
		opts = append(opts, kgo.RecordDeliveryTimeout(d))
	}
	if n, ok := r.number("retries", 0, math.MaxInt32, ""); ok {
		opts = append(opts, kgo.RecordRetries(int(n)))
	}
	if n, ok := r.number("buffer.memory", 0, math.MaxInt64, ""); ok {
		opts = append(opts, kgo.MaxBufferedBytes(int(n)))
	}
	if d, ok := r.millis("request.timeout.ms", 100*time.Millisecond, math.MaxInt32*time.Millisecond, ""); ok {
		opts = append(opts, kgo.ProduceRequestTimeout(d))
	}
	return opts
}
