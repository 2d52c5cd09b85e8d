package kafka

import (
	"math/rand/v2"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ClientOpts returns the options every Kafka client takes, read from Kafka
// client properties:
//
//	bootstrap.servers                      kgo.SeedBrokers (required)
//	client.id                              kgo.ClientID
//	security.protocol, ssl.*               kgo.DialTLSConfig (see below)
//	security.protocol, sasl.*              kgo.SASL (see below)
//	request.timeout.ms                     kgo.RequestTimeoutOverhead
//	metadata.max.age.ms                    kgo.MetadataMaxAge
//	connections.max.idle.ms                kgo.ConnIdleTimeout
//	socket.connection.setup.timeout.ms     kgo.DialTimeout
//	retry.backoff.ms, retry.backoff.max.ms kgo.RetryBackoffFn (exponential, ±20% jitter)
//
// security.protocol is PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL.
// With SSL or SASL_SSL:
//
//	ssl.truststore.location   PEM file of CA certificates (also ssl.ca.location)
//	ssl.truststore.certificates  the same, inline
//	ssl.keystore.location     PEM file with the client certificate chain and its key (mTLS)
//	ssl.keystore.certificate.chain, ssl.keystore.key  the same, inline
//	ssl.certificate.location, ssl.key.location        the same, as two files (librdkafka's keys)
//	ssl.endpoint.identification.algorithm  https (default) verifies the broker's host
//	                          name; "" skips that check but still verifies the chain
//	ssl.enabled.protocols     TLSv1.2, TLSv1.3
//
// Without a truststore the system roots are used. Only PEM is read:
// ssl.truststore.type and ssl.keystore.type must be PEM or unset, and
// encrypted private keys are refused (decrypt them first).
//
// With SASL_PLAINTEXT or SASL_SSL, sasl.mechanism is PLAIN, SCRAM-SHA-256 or
// SCRAM-SHA-512 (Kafka's default, GSSAPI, is not supported), and the
// credentials come from sasl.jaas.config, as Kafka writes it:
//
//	org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";
//	org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";
//
// or from sasl.username and sasl.password (librdkafka's keys), not both. A
// ScramLoginModule with tokenauth="true" authenticates with a delegation
// token.
//
// Kafka ignores ssl.* and sasl.* keys when security.protocol does not use
// them. So does ClientOpts when security.protocol is set; when it is unset
// but a truststore, keystore or SASL credentials are given, that is most
// likely a forgotten security.protocol, and an error.
func ClientOpts(props map[string]string) ([]kgo.Opt, error) {
	r := newReader(props)
	return r.done(r.client())
}

func (r *reader) client() []kgo.Opt {
	var opts []kgo.Opt
	seeds := r.list("bootstrap.servers")
	if len(seeds) == 0 {
		r.fail("bootstrap.servers", `Missing required configuration "bootstrap.servers" which has no default value: set it to host:port[,host:port…]`)
	}
	for _, s := range seeds {
		if !validHostPort(s) {
			r.invalid("bootstrap.servers", "Invalid url in bootstrap.servers: "+s+" (want host:port)")
			break
		}
	}
	opts = append(opts, kgo.SeedBrokers(seeds...))
	if id, ok := r.get("client.id"); ok {
		opts = append(opts, kgo.ClientID(id))
	}
	opts = append(opts, r.security()...)

	if d, ok := r.millis("request.timeout.ms", 100*time.Millisecond, 15*time.Minute, "franz-go's limits"); ok {
		opts = append(opts, kgo.RequestTimeoutOverhead(d))
	}
	if d, ok := r.millis("metadata.max.age.ms", 10*time.Millisecond, time.Hour, "franz-go's limits"); ok {
		opts = append(opts, kgo.MetadataMaxAge(d))
		if d < 5*time.Second { // franz-go's default minimum age
			opts = append(opts, kgo.MetadataMinAge(d))
		}
	}
	if d, ok := r.millis("connections.max.idle.ms", 100*time.Millisecond, 15*time.Minute, "franz-go's limits"); ok {
		opts = append(opts, kgo.ConnIdleTimeout(d))
	}
	if d, ok := r.millis("socket.connection.setup.timeout.ms", time.Millisecond, time.Hour, ""); ok {
		opts = append(opts, kgo.DialTimeout(d))
	}
	base, baseSet := r.millis("retry.backoff.ms", 0, time.Hour, "")
	ceiling, ceilingSet := r.millis("retry.backoff.max.ms", 0, time.Hour, "")
	if baseSet || ceilingSet {
		if !baseSet {
			base = 100 * time.Millisecond // Kafka's defaults
		}
		if !ceilingSet {
			ceiling = time.Second
		}
		opts = append(opts, kgo.RetryBackoffFn(backoff(base, ceiling)))
	}
	return opts
}

// backoff is Kafka's exponential retry backoff (KIP-580): base·2^(n-1),
// capped at ceiling, with ±20% jitter.
func backoff(base, ceiling time.Duration) func(int) time.Duration {
	ceiling = max(ceiling, base)
	return func(fails int) time.Duration {
		d := base
		for i := 1; i < fails && d < ceiling; i++ {
			d *= 2
		}
		d = min(d, ceiling)
		if d <= 0 {
			return 0
		}
		jitter := time.Duration(rand.Int64N(int64(d)*2/5+1)) - d/5
		return d + jitter
	}
}
