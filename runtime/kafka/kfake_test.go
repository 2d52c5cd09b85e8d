package kafka

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// These tests show that clients built from Kafka client properties talk to a
// broker that requires TLS and SASL. kfake is the broker here; the same
// properties are exercised against a real Kafka in tests/e2e.

const testPassword = `pa"ss\word` // written in JAAS as "pa\"ss\\word"

func newSecureCluster(t *testing.T, pki *testPKI, clientAuth bool, extra ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	opts := append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"), kfake.TLS(pki.serverConfig(clientAuth))}, extra...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func newClient(t *testing.T, opts []kgo.Opt, err error, more ...kgo.Opt) *kgo.Client {
	t.Helper()
	if err != nil {
		t.Fatalf("options: %v", err)
	}
	cl, err := kgo.NewClient(append(opts, more...)...)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// roundTrip produces one record with ProducerOpts(props) and reads it back
// with ConsumerOpts(props) in a consumer group.
func roundTrip(t *testing.T, props map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	opts, err := ProducerOpts(props)
	prod := newClient(t, opts, err)
	want := time.Now().Format(time.RFC3339Nano)
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "orders", Key: []byte("k"), Value: []byte(want)}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	cprops := map[string]string{"group.id": "connect-test", "auto.offset.reset": "earliest", "enable.auto.commit": "false"}
	for k, v := range props {
		cprops[k] = v
	}
	opts, err = ConsumerOpts(cprops)
	cons := newClient(t, opts, err, kgo.ConsumeTopics("orders"))
	for {
		fs := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consume: no record before the deadline: %v", fs.Errors())
		}
		for _, e := range fs.Errors() {
			t.Fatalf("consume: %s[%d]: %v", e.Topic, e.Partition, e.Err)
		}
		for _, r := range fs.Records() {
			if string(r.Value) == want && string(r.Key) == "k" {
				return
			}
		}
	}
}

func TestKfakeSASLSSL(t *testing.T) {
	pki := newTestPKI(t, nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	for _, tc := range []struct{ mech, module string }{
		{"PLAIN", plainLoginModule},
		{"SCRAM-SHA-256", scramLoginModule},
		{"SCRAM-SHA-512", scramLoginModule},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			c := newSecureCluster(t, pki, false, kfake.EnableSASL(), kfake.Superuser(tc.mech, "connect", testPassword))
			props := map[string]string{
				"bootstrap.servers":       strings.Join(c.ListenAddrs(), ","),
				"security.protocol":       "SASL_SSL",
				"sasl.mechanism":          tc.mech,
				"sasl.jaas.config":        tc.module + ` required username="connect" password="pa\"ss\\word";`,
				"ssl.truststore.type":     "PEM",
				"ssl.truststore.location": pki.caFile,
			}
			roundTrip(t, props)

			t.Run("wrong password", func(t *testing.T) {
				bad := map[string]string{}
				for k, v := range props {
					bad[k] = v
				}
				bad["sasl.jaas.config"] = tc.module + ` required username="connect" password="wrong";`
				opts, err := ClientOpts(bad)
				cl := newClient(t, opts, err)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				err = cl.Ping(ctx)
				// A real broker answers SASL_AUTHENTICATION_FAILED ("Authentication
				// failed: Invalid username or password"); kfake closes the
				// connection instead, which the client sees as EOF. Either way
				// the failure is immediate, not a timeout, and shows no secret.
				if !errors.Is(err, kerr.SaslAuthenticationFailed) && !errors.Is(err, io.EOF) {
					t.Fatalf("ping with a wrong password: %v, want SASL_AUTHENTICATION_FAILED or EOF", err)
				}
				if strings.Contains(err.Error(), "wrong") {
					t.Errorf("error shows the password: %v", err)
				}
				t.Logf("wrong password: %v", err)
			})
		})
	}
}

func TestKfakeSASLUsernamePassword(t *testing.T) {
	pki := newTestPKI(t, nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	c := newSecureCluster(t, pki, false, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "connect", "secret"))
	roundTrip(t, map[string]string{
		"bootstrap.servers": strings.Join(c.ListenAddrs(), ","),
		"security.protocol": "sasl_ssl",
		"sasl.mechanism":    "SCRAM-SHA-512",
		"sasl.username":     "connect",
		"sasl.password":     "secret",
		"ssl.ca.location":   pki.caFile,
	})
}

func TestKfakeMutualTLS(t *testing.T) {
	pki := newTestPKI(t, nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	c := newSecureCluster(t, pki, true)
	base := map[string]string{
		"bootstrap.servers":       strings.Join(c.ListenAddrs(), ","),
		"security.protocol":       "SSL",
		"ssl.truststore.location": pki.caFile,
	}
	for _, tc := range []struct {
		name string
		keys map[string]string
	}{
		{"keystore file", map[string]string{"ssl.keystore.type": "PEM", "ssl.keystore.location": pki.clientFile}},
		{"inline", map[string]string{"ssl.keystore.type": "PEM", "ssl.keystore.certificate.chain": string(pki.clientCertPEM), "ssl.keystore.key": string(pki.clientKeyPEM)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props := map[string]string{}
			for k, v := range base {
				props[k] = v
			}
			for k, v := range tc.keys {
				props[k] = v
			}
			roundTrip(t, props)
		})
	}
	t.Run("no client certificate", func(t *testing.T) {
		opts, err := ClientOpts(base)
		cl := newClient(t, opts, err)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := cl.Ping(ctx); err == nil {
			t.Fatal("ping without a client certificate succeeded")
		}
	})
}

func TestKfakeHostnameVerification(t *testing.T) {
	// The broker's certificate names kafka.internal only, not 127.0.0.1.
	pki := newTestPKI(t, []string{"kafka.internal"}, nil)
	c := newSecureCluster(t, pki, false)
	props := map[string]string{
		"bootstrap.servers":       strings.Join(c.ListenAddrs(), ","),
		"security.protocol":       "SSL",
		"ssl.truststore.location": pki.caFile,
	}
	opts, err := ClientOpts(props)
	cl := newClient(t, opts, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var hostErr x509.HostnameError
	if err := cl.Ping(ctx); !errors.As(err, &hostErr) {
		t.Fatalf("ping with host name verification: %v, want an x509.HostnameError", err)
	}

	props["ssl.endpoint.identification.algorithm"] = ""
	roundTrip(t, props)

	t.Run("chain still verified", func(t *testing.T) {
		other := newTestPKI(t, nil, nil) // a CA that did not sign the broker's certificate
		props["ssl.truststore.location"] = other.caFile
		opts, err := ClientOpts(props)
		cl := newClient(t, opts, err)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var unknown x509.UnknownAuthorityError
		if err := cl.Ping(ctx); !errors.As(err, &unknown) {
			t.Fatalf("ping trusting another CA: %v, want an x509.UnknownAuthorityError", err)
		}
	})
}
