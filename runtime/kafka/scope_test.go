package kafka

import (
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestScoped(t *testing.T) {
	worker := map[string]string{
		"bootstrap.servers":          "k:9092",
		"security.protocol":          "SASL_SSL",
		"sasl.mechanism":             "SCRAM-SHA-512",
		"sasl.jaas.config":           "worker-jaas",
		"ssl.truststore.location":    "/ca.pem",
		"request.timeout.ms":         "40000",
		"group.id":                   "connect-cluster",
		"session.timeout.ms":         "10000",
		"client.id":                  "worker-1",
		"key.converter":              "JsonConverter",
		"freshet.task.buffer.bytes":  "1",
		"producer.linger.ms":         "20",
		"producer.sasl.jaas.config":  "producer-jaas",
		"consumer.max.poll.records":  "500",
		"consumer.security.protocol": "PLAINTEXT",
		"admin.client.id":            "admin",
		"producer.":                  "empty suffix is dropped",
	}
	common := map[string]string{
		"bootstrap.servers":       "k:9092",
		"security.protocol":       "SASL_SSL",
		"sasl.mechanism":          "SCRAM-SHA-512",
		"sasl.jaas.config":        "worker-jaas",
		"ssl.truststore.location": "/ca.pem",
		"request.timeout.ms":      "40000",
	}
	with := func(kv ...string) map[string]string {
		m := maps.Clone(common)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		prefix string
		want   map[string]string
	}{
		{ProducerPrefix, with("linger.ms", "20", "sasl.jaas.config", "producer-jaas")},
		{"producer", with("linger.ms", "20", "sasl.jaas.config", "producer-jaas")},
		{ConsumerPrefix, with("max.poll.records", "500", "security.protocol", "PLAINTEXT")},
		{AdminPrefix, with("client.id", "admin")},
	} {
		if got := Scoped(worker, tc.prefix); !maps.Equal(got, tc.want) {
			t.Errorf("Scoped(%q) = %q\nwant %q", tc.prefix, got, tc.want)
		}
	}
}

func TestWithOverrides(t *testing.T) {
	base := map[string]string{"bootstrap.servers": "k:9092", "linger.ms": "20", "group.id": "connect-orders"}
	connector := map[string]string{
		"connector.class":                    "elasticsearch",
		"producer.override.linger.ms":        "5",
		"producer.override.acks":             "1",
		"consumer.override.group.id":         "custom-group",
		"consumer.override.max.poll.records": "100",
		"admin.override.request.timeout.ms":  "1000",
		"producer.linger.ms":                 "999", // not an override: ignored
	}
	for _, tc := range []struct {
		prefix string
		want   map[string]string
	}{
		{ProducerPrefix, map[string]string{"bootstrap.servers": "k:9092", "linger.ms": "5", "acks": "1", "group.id": "connect-orders"}},
		{"consumer", map[string]string{"bootstrap.servers": "k:9092", "linger.ms": "20", "group.id": "custom-group", "max.poll.records": "100"}},
		{AdminPrefix, map[string]string{"bootstrap.servers": "k:9092", "linger.ms": "20", "group.id": "connect-orders", "request.timeout.ms": "1000"}},
	} {
		before := maps.Clone(base)
		if got := WithOverrides(base, connector, tc.prefix); !maps.Equal(got, tc.want) {
			t.Errorf("WithOverrides(%q) = %q\nwant %q", tc.prefix, got, tc.want)
		}
		if !maps.Equal(base, before) {
			t.Fatalf("base modified")
		}
	}
}

// The whole chain, worker → scoped → overrides → options, as a sink task's
// consumer would build it.
func TestScopedToOptions(t *testing.T) {
	worker := map[string]string{"bootstrap.servers": "127.0.0.1:1", "group.id": "connect-cluster", "consumer.fetch.max.wait.ms": "100"}
	connector := map[string]string{"consumer.override.fetch.max.wait.ms": "200"}
	p := Scoped(worker, ConsumerPrefix)
	p["group.id"] = "connect-orders" // the worker's choice, which an override could still replace
	p = WithOverrides(p, connector, ConsumerPrefix)
	opts, err := ConsumerOpts(p)
	cl := built(t, opts, err)
	if got := cl.OptValue(kgo.FetchMaxWait); got != 200*time.Millisecond {
		t.Errorf("fetch max wait = %v", got)
	}
	if got := cl.OptValue(kgo.ConsumerGroup); got != "connect-orders" {
		t.Errorf("group = %v", got)
	}
}
