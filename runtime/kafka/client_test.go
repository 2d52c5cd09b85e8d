package kafka

import (
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

// built returns a client made from opts, to read the options back with
// OptValue. It never connects.
func built(t *testing.T, opts []kgo.Opt, err error) *kgo.Client {
	t.Helper()
	if err != nil {
		t.Fatalf("options: %v", err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func TestClientOpts(t *testing.T) {
	opts, err := ClientOpts(map[string]string{
		"bootstrap.servers":                  " a:9092 , b:9093,",
		"client.id":                          "connector-producer-orders-0",
		"request.timeout.ms":                 "5000",
		"metadata.max.age.ms":                "1000",
		"connections.max.idle.ms":            "60000",
		"socket.connection.setup.timeout.ms": "2500",
		"key.serializer":                     "ignored: unknown keys are fine",
	})
	cl := built(t, opts, err)
	for _, c := range []struct {
		opt  any
		want any
	}{
		{kgo.ClientID, "connector-producer-orders-0"},
		{kgo.RequestTimeoutOverhead, 5 * time.Second},
		{kgo.MetadataMaxAge, time.Second},
		{kgo.MetadataMinAge, time.Second},
		{kgo.ConnIdleTimeout, time.Minute},
		{kgo.DialTimeout, 2500 * time.Millisecond},
	} {
		if got := cl.OptValue(c.opt); got != c.want {
			t.Errorf("%T = %v, want %v", c.opt, got, c.want)
		}
	}
	if got := cl.OptValue(kgo.SeedBrokers).([]string); !slices.Equal(got, []string{"a:9092", "b:9093"}) {
		t.Errorf("seeds = %q", got)
	}
	if got := cl.OptValue(kgo.DialTLSConfig).(*tls.Config); got != nil {
		t.Errorf("PLAINTEXT client has TLS")
	}
}

func TestRetryBackoff(t *testing.T) {
	opts, err := ClientOpts(map[string]string{"bootstrap.servers": "a:1", "retry.backoff.ms": "100", "retry.backoff.max.ms": "1000"})
	cl := built(t, opts, err)
	fn := cl.OptValue(kgo.RetryBackoffFn).(func(int) time.Duration)
	for _, c := range []struct {
		fails int
		want  time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond}, {5, time.Second}, {50, time.Second}} {
		got := fn(c.fails)
		if lo, hi := c.want*4/5, c.want*6/5; got < lo || got > hi {
			t.Errorf("backoff after %d failures = %v, want %v ±20%%", c.fails, got, c.want)
		}
	}
}

func TestClientOptsTLS(t *testing.T) {
	pki := newTestPKI(t, nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	base := func(kv ...string) map[string]string {
		m := map[string]string{"bootstrap.servers": "a:1"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		props map[string]string
		check func(t *testing.T, c *tls.Config)
	}{
		{"store type without a store is ignored", base("security.protocol", "SSL", "ssl.keystore.type", "JKS", "ssl.truststore.type", "JKS"),
			func(t *testing.T, c *tls.Config) {
				if c == nil || len(c.Certificates) != 0 {
					t.Errorf("config %+v", c)
				}
			}},
		{"explicit PLAINTEXT ignores ssl keys", base("security.protocol", "PLAINTEXT", "ssl.truststore.location", "/nonexistent"),
			func(t *testing.T, c *tls.Config) {
				if c != nil {
					t.Error("TLS on")
				}
			}},
		{"SSL with system roots", base("security.protocol", "SSL"), func(t *testing.T, c *tls.Config) {
			if c == nil || c.RootCAs != nil || c.InsecureSkipVerify || c.MinVersion != tls.VersionTLS12 {
				t.Errorf("config %+v", c)
			}
		}},
		{"truststore file", base("security.protocol", "SSL", "ssl.truststore.type", "pem", "ssl.truststore.location", pki.caFile),
			func(t *testing.T, c *tls.Config) {
				if c.RootCAs == nil || !c.RootCAs.Equal(pki.pool) {
					t.Error("RootCAs is not the test CA")
				}
			}},
		{"inline truststore", base("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN", "sasl.username", "u", "sasl.password", "p",
			"ssl.truststore.certificates", string(pki.caPEM)),
			func(t *testing.T, c *tls.Config) {
				if c.RootCAs == nil || !c.RootCAs.Equal(pki.pool) {
					t.Error("RootCAs is not the test CA")
				}
			}},
		{"keystore", base("security.protocol", "SSL", "ssl.keystore.location", pki.clientFile), func(t *testing.T, c *tls.Config) {
			if len(c.Certificates) != 1 || c.Certificates[0].Leaf == nil || c.Certificates[0].Leaf.Subject.CommonName != "client" {
				t.Errorf("certificates %v", c.Certificates)
			}
		}},
		{"librdkafka key pair", base("security.protocol", "SSL", "ssl.certificate.location", pki.clientFile, "ssl.key.location", pki.clientFile),
			func(t *testing.T, c *tls.Config) {
				if len(c.Certificates) != 1 {
					t.Errorf("certificates %v", c.Certificates)
				}
			}},
		{"no host name verification", base("security.protocol", "SSL", "ssl.endpoint.identification.algorithm", ""),
			func(t *testing.T, c *tls.Config) {
				if !c.InsecureSkipVerify || c.VerifyConnection == nil {
					t.Error("host name verification not replaced by a chain check")
				}
			}},
		{"protocols", base("security.protocol", "SSL", "ssl.enabled.protocols", "TLSv1.3"), func(t *testing.T, c *tls.Config) {
			if c.MinVersion != tls.VersionTLS13 || c.MaxVersion != tls.VersionTLS13 {
				t.Errorf("versions %x..%x", c.MinVersion, c.MaxVersion)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := ClientOpts(tc.props)
			cl := built(t, opts, err)
			tc.check(t, cl.OptValue(kgo.DialTLSConfig).(*tls.Config))
		})
	}
}

func TestClientOptsSASL(t *testing.T) {
	for _, tc := range []struct {
		mech, jaas string
	}{
		{"PLAIN", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`},
		{"scram-sha-256", `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`},
		{"SCRAM-SHA-512", `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p" tokenauth="true";`},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			opts, err := ClientOpts(map[string]string{
				"bootstrap.servers": "a:1", "security.protocol": "SASL_PLAINTEXT",
				"sasl.mechanism": tc.mech, "sasl.jaas.config": tc.jaas,
			})
			cl := built(t, opts, err)
			ms := cl.OptValue(kgo.SASL).([]sasl.Mechanism)
			if len(ms) != 1 || ms[0].Name() != strings.ToUpper(tc.mech) {
				t.Errorf("mechanisms %v", ms)
			}
			if cl.OptValue(kgo.DialTLSConfig).(*tls.Config) != nil {
				t.Error("SASL_PLAINTEXT has TLS")
			}
		})
	}
}

func TestClientOptsErrors(t *testing.T) {
	pki := newTestPKI(t, nil, nil)
	dir := t.TempDir()
	jks := writeFile(t, dir, "truststore.jks", []byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2})
	encKey := writeFile(t, dir, "enc.pem", append(append([]byte{}, pki.clientCertPEM...), pemBlock("ENCRYPTED PRIVATE KEY", []byte("x"))...))
	const plainJAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2";`
	sasl := func(kv ...string) map[string]string {
		m := map[string]string{"bootstrap.servers": "a:1", "security.protocol": "SASL_SSL"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		props map[string]string
		key   string // the key the first error names
		error string // substring
	}{
		{"no bootstrap", map[string]string{}, "bootstrap.servers", `Missing required configuration "bootstrap.servers"`},
		{"bad bootstrap", map[string]string{"bootstrap.servers": "PLAINTEXT://a"}, "bootstrap.servers", "Invalid url in bootstrap.servers: PLAINTEXT://a (want host:port)"},
		{"bad protocol", sasl("security.protocol", "TLS"), "security.protocol", "String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"},
		{"not a number", sasl("security.protocol", "PLAINTEXT", "request.timeout.ms", "30s"), "request.timeout.ms",
			"Invalid value 30s for configuration request.timeout.ms: Not a number of type LONG"},
		{"out of franz-go's range", sasl("security.protocol", "PLAINTEXT", "connections.max.idle.ms", "-1"), "connections.max.idle.ms",
			"Value must be between 100 and 900000 (franz-go's limits)"},
		{"forgotten protocol, TLS", map[string]string{"bootstrap.servers": "a:1", "ssl.truststore.location": pki.caFile}, "security.protocol",
			"set security.protocol=SSL or SASL_SSL"},
		{"forgotten protocol, SASL", map[string]string{"bootstrap.servers": "a:1", "sasl.jaas.config": plainJAAS}, "security.protocol",
			"set security.protocol=SASL_SSL or SASL_PLAINTEXT"},
		{"JKS truststore type", sasl("security.protocol", "SSL", "ssl.truststore.type", "JKS", "ssl.truststore.location", jks), "ssl.truststore.type",
			"use PEM: ssl.truststore.type=PEM"},
		{"JKS keystore type", sasl("security.protocol", "SSL", "ssl.keystore.type", "PKCS12", "ssl.keystore.location", jks), "ssl.keystore.type",
			"use PEM: ssl.keystore.type=PEM"},
		{"JKS file as truststore", sasl("security.protocol", "SSL", "ssl.truststore.location", jks), "ssl.truststore.location",
			"no PEM certificates found (JKS and PKCS12 stores are not supported: use PEM: ssl.truststore.type=PEM)"},
		{"JKS file as keystore", sasl("security.protocol", "SSL", "ssl.keystore.location", jks), "ssl.keystore.location",
			"want PEM: ssl.keystore.type=PEM"},
		{"missing truststore", sasl("security.protocol", "SSL", "ssl.truststore.location", "/nonexistent/ca.pem"), "ssl.truststore.location",
			"cannot read ssl.truststore.location: open /nonexistent/ca.pem"},
		{"both truststores", sasl("security.protocol", "SSL", "ssl.truststore.location", pki.caFile, "ssl.truststore.certificates", string(pki.caPEM)),
			"ssl.truststore.certificates", "not both"},
		{"inline chain without key", sasl("security.protocol", "SSL", "ssl.keystore.certificate.chain", string(pki.clientCertPEM)), "ssl.keystore.key",
			"Missing configuration ssl.keystore.key"},
		{"encrypted key", sasl("security.protocol", "SSL", "ssl.keystore.location", encKey, "ssl.key.password", "hunter2"), "ssl.keystore.location",
			"the private key is encrypted"},
		{"bad endpoint algorithm", sasl("security.protocol", "SSL", "ssl.endpoint.identification.algorithm", "http"), "ssl.endpoint.identification.algorithm",
			"String must be one of: https"},
		{"old TLS", sasl("security.protocol", "SSL", "ssl.enabled.protocols", "TLSv1.1"), "ssl.enabled.protocols", "use TLSv1.2 and/or TLSv1.3"},
		{"no mechanism", sasl("sasl.jaas.config", plainJAAS), "sasl.mechanism", "Kafka's default, GSSAPI, is not supported"},
		{"GSSAPI", sasl("sasl.mechanism", "GSSAPI", "sasl.jaas.config", plainJAAS), "sasl.mechanism",
			"unsupported SASL mechanism: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"},
		{"no credentials", sasl("sasl.mechanism", "PLAIN"), "sasl.jaas.config", "Missing SASL credentials"},
		{"module mismatch", sasl("sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", plainJAAS), "sasl.jaas.config",
			"Invalid value [hidden] for configuration sasl.jaas.config: sasl.mechanism=SCRAM-SHA-256 needs the login module " + scramLoginModule},
		{"bad jaas", sasl("sasl.mechanism", "PLAIN", "sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required password="hunter2"`),
			"sasl.jaas.config", `expected ";"`},
		{"jaas without password", sasl("sasl.mechanism", "PLAIN", "sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u";`),
			"sasl.jaas.config", `needs username="…" and password="…"`},
		{"jaas and username", sasl("sasl.mechanism", "PLAIN", "sasl.jaas.config", plainJAAS, "sasl.username", "u", "sasl.password", "hunter2"),
			"sasl.username", "not both"},
		{"username without password", sasl("sasl.mechanism", "PLAIN", "sasl.username", "u"), "sasl.username", "set both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ClientOpts(tc.props)
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Fatalf("error = %v, want %q", err, tc.error)
			}
			var ce *sdk.ConfigError
			if !errors.As(err, &ce) || ce.Key != tc.key {
				t.Errorf("error names %v, want %s", ce, tc.key)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

func TestClientOptsReportsEveryProblem(t *testing.T) {
	_, err := ClientOpts(map[string]string{
		"bootstrap.servers":   "a:1",
		"request.timeout.ms":  "x",
		"metadata.max.age.ms": "y",
		"security.protocol":   "SASL_SSL",
	})
	for _, key := range []string{"request.timeout.ms", "metadata.max.age.ms", "sasl.mechanism"} {
		if err == nil || !strings.Contains(err.Error(), key+":") {
			t.Errorf("error lacks %s: %v", key, err)
		}
	}
}
