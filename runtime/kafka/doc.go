// Package kafka turns Kafka client properties, as Kafka Connect users write
// them in worker and connector configs, into franz-go (kgo) client options.
// It is internal to Freshet and carries no compatibility promise.
//
// ClientOpts reads the keys every client shares (bootstrap.servers,
// client.id, security.protocol, sasl.*, ssl.* and a few tunables);
// ProducerOpts and ConsumerOpts add the producer and consumer keys. An admin
// client (kadm) is a plain kgo client built from ClientOpts. Unknown keys are
// ignored, so a whole worker or connector config may be passed; a bad value,
// or a setting Freshet cannot honour (JKS keystores, GSSAPI), is an error
// naming the key, the reason and the fix. Secrets never appear in errors.
//
// Scoped and WithOverrides assemble the properties of a task's clients the
// way Kafka Connect does: worker keys, then the worker's producer./consumer./
// admin. keys, then the connector's producer.override./consumer.override./
// admin.override. keys. See Scoped for the one place where Freshet is more
// generous than Kafka Connect.
//
// Where a key is unset, franz-go's default applies, not the Java client's.
// The differences that matter: the producer's compression defaults to snappy
// (Java: none) and linger to 10ms (Java 3.x: 0, 4.x: 5ms); the consumer's
// auto.offset.reset defaults to earliest (Java: latest; Kafka Connect sets
// earliest for sink tasks anyway).
//
// The package starts no goroutines and holds no state.
package kafka
