package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func props(kv ...string) map[string]string {
	m := map[string]string{"bootstrap.servers": "127.0.0.1:1"}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestProducerOpts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		want  map[string]any // kgo option → OptValue
	}{
		{"defaults are franz-go's", props(), map[string]any{
			"RequiredAcks": kgo.AllISRAcks(), "DisableIdempotentWrite": false,
			"ProducerBatchMaxBytes": int32(1000012), "ProducerLinger": 10 * time.Millisecond,
		}},
		{"acks=1 turns idempotence off", props("acks", "1"), map[string]any{
			"RequiredAcks": kgo.LeaderAck(), "DisableIdempotentWrite": true,
		}},
		{"acks=0", props("acks", "0"), map[string]any{"RequiredAcks": kgo.NoAck(), "DisableIdempotentWrite": true}},
		{"acks=-1", props("acks", "-1"), map[string]any{"RequiredAcks": kgo.AllISRAcks(), "DisableIdempotentWrite": false}},
		{"idempotence off", props("enable.idempotence", "false", "max.in.flight.requests.per.connection", "3"), map[string]any{
			"DisableIdempotentWrite": true, "MaxProduceRequestsInflightPerBroker": 3,
		}},
		{"many in flight turns idempotence off", props("max.in.flight.requests.per.connection", "10"), map[string]any{
			"DisableIdempotentWrite": true, "MaxProduceRequestsInflightPerBroker": 10,
		}},
		{"5 in flight keeps idempotence", props("max.in.flight.requests.per.connection", "5"), map[string]any{
			"DisableIdempotentWrite": false,
		}},
		{"transactions", props("transactional.id", "connect-orders-0", "transaction.timeout.ms", "30000"), map[string]any{
			"TransactionalID": "connect-orders-0", "TransactionTimeout": 30 * time.Second,
		}},
		{"linger", props("linger.ms", "0"), map[string]any{"ProducerLinger": time.Duration(0)}},
		{"small batch.size keeps Kafka's record limit", props("batch.size", "16384"), map[string]any{"ProducerBatchMaxBytes": int32(1 << 20)}},
		{"large batch.size", props("batch.size", "4194304"), map[string]any{"ProducerBatchMaxBytes": int32(4 << 20)}},
		{"max.request.size", props("max.request.size", "100000"), map[string]any{"ProducerBatchMaxBytes": int32(100000)}},
		{"huge max.request.size", props("max.request.size", "209715200"), map[string]any{
			"ProducerBatchMaxBytes": int32(200 << 20), "BrokerMaxWriteBytes": int32(200 << 20),
		}},
		{"delivery", props("delivery.timeout.ms", "120000", "retries", "7", "buffer.memory", "33554432", "request.timeout.ms", "30000"), map[string]any{
			"RecordDeliveryTimeout": 2 * time.Minute, "RecordRetries": int64(7), "MaxBufferedBytes": int64(32 << 20),
			"ProduceRequestTimeout": 30 * time.Second, "RequestTimeoutOverhead": 30 * time.Second,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := ProducerOpts(tc.props)
			cl := built(t, opts, err)
			for opt, want := range tc.want {
				if got := cl.OptValue(opt); !equalOpt(got, want) {
					t.Errorf("%s = %#v, want %#v", optName(opt), got, want)
				}
			}
		})
	}
}

func TestProducerCompression(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  kgo.CompressionCodec
	}{
		{"none", kgo.NoCompression()}, {"gzip", kgo.GzipCompression()}, {"snappy", kgo.SnappyCompression()},
		{"lz4", kgo.Lz4Compression()}, {"ZSTD", kgo.ZstdCompression()},
	} {
		opts, err := ProducerOpts(props("compression.type", tc.value))
		cl := built(t, opts, err)
		codecs := cl.OptValue(kgo.ProducerBatchCompression).([]kgo.CompressionCodec)
		if len(codecs) != 1 || codecs[0] != tc.want {
			t.Errorf("%s: codecs %v, want %v", tc.value, codecs, tc.want)
		}
	}
}

func TestProducerOptsErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		error string
	}{
		{"bad acks", props("acks", "2"), "acks: Invalid value 2 for configuration acks: String must be one of: all, -1, 1, 0"},
		{"idempotence needs acks=all", props("acks", "1", "enable.idempotence", "true"), "enable.idempotence=true requires acks=all"},
		{"idempotence limits in flight", props("enable.idempotence", "true", "max.in.flight.requests.per.connection", "6"), "at most 5"},
		{"transactions need idempotence", props("transactional.id", "t", "enable.idempotence", "false"), "transactional.id requires idempotence"},
		{"bad bool", props("enable.idempotence", "yes"), "Expected value to be either true or false"},
		{"linger too long", props("linger.ms", "120000"), "linger.ms: Invalid value 120000 for configuration linger.ms: Value must be between 0 and 60000 (franz-go's limit)"},
		{"compression", props("compression.type", "brotli"), "String must be one of: none, gzip, snappy, lz4, zstd"},
		{"tiny max.request.size", props("max.request.size", "100"), "Value must be between 512 and 1073741824"},
		{"delivery timeout", props("delivery.timeout.ms", "10"), "franz-go's minimum is 1000"},
		{"in flight", props("max.in.flight.requests.per.connection", "0"), "Value must be between 1 and"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ProducerOpts(tc.props)
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Errorf("error = %v, want %q", err, tc.error)
			}
		})
	}
}
