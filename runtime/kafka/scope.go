package kafka

import "strings"

// Client prefixes of worker configs, and the infix of connector overrides.
const (
	ProducerPrefix = "producer."
	ConsumerPrefix = "consumer."
	AdminPrefix    = "admin."

	overrideInfix = "override."
)

// inherited reports whether every task client inherits worker key k:
// where the brokers are and how to connect to them.
func inherited(k string) bool {
	switch k {
	case "bootstrap.servers", "security.protocol", "client.dns.lookup",
		"socket.connection.setup.timeout.ms", "socket.connection.setup.timeout.max.ms",
		"connections.max.idle.ms", "metadata.max.age.ms",
		"reconnect.backoff.ms", "reconnect.backoff.max.ms",
		"retry.backoff.ms", "retry.backoff.max.ms", "request.timeout.ms":
		return true
	}
	return strings.HasPrefix(k, "ssl.") || strings.HasPrefix(k, "sasl.")
}

// Scoped returns the client properties of one kind of task client (prefix is
// ProducerPrefix, ConsumerPrefix or AdminPrefix; the trailing dot may be
// omitted): the worker's connection keys (bootstrap.servers,
// security.protocol, ssl.*, sasl.* and the connection timeouts and backoffs)
// overlaid with the worker's keys under prefix, prefix stripped.
//
// Kafka Connect passes only bootstrap.servers down unprefixed, so a secured
// cluster needs every security key written three times (unprefixed for the
// worker's own clients, and under producer. and consumer.). Freshet passes
// the security keys down too; a prefixed key still wins, so
// producer.security.protocol=PLAINTEXT switches TLS and SASL off for
// producers. Keys that configure the worker itself and would be wrong for a
// task's clients (group.id, client.id, session.timeout.ms and the other group
// settings) are not passed down.
func Scoped(worker map[string]string, prefix string) map[string]string {
	prefix = withDot(prefix)
	out := make(map[string]string)
	for k, v := range worker {
		if inherited(k) {
			out[k] = v
		}
	}
	for k, v := range worker {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			out[rest] = v
		}
	}
	return out
}

// WithOverrides returns base overlaid with the connector's client overrides
// for prefix: with ProducerPrefix, connector key producer.override.linger.ms
// sets linger.ms. base is not modified.
//
// Every key may be overridden, as under Kafka Connect's default
// connector.client.config.override.policy=All, including bootstrap.servers,
// the security keys and consumer group.id. The policy itself (None allows no
// override, Principal only the security keys) is enforced where connector
// configs are validated, not here. Keys that would break the runtime's
// guarantees are not configuration but code: the sink worker appends
// kgo.DisableAutoCommit after the options built from these properties, so an
// override of enable.auto.commit has no effect.
func WithOverrides(base, connectorCfg map[string]string, prefix string) map[string]string {
	prefix = withDot(prefix) + overrideInfix
	out := make(map[string]string, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range connectorCfg {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			out[rest] = v
		}
	}
	return out
}

func withDot(prefix string) string {
	if prefix != "" && !strings.HasSuffix(prefix, ".") {
		prefix += "."
	}
	return prefix
}
