package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Security protocols, as Kafka spells them.
const (
	protoPlaintext     = "PLAINTEXT"
	protoSSL           = "SSL"
	protoSASLPlaintext = "SASL_PLAINTEXT"
	protoSASLSSL       = "SASL_SSL"
)

func (r *reader) security() []kgo.Opt {
	proto, set := r.oneOf("security.protocol", protoPlaintext, protoSSL, protoSASLPlaintext, protoSASLSSL)
	if !set {
		if _, bad := r.get("security.protocol"); bad {
			return nil // reported by oneOf
		}
		proto = protoPlaintext
		if k, ok := r.has("ssl.truststore.location", "ssl.truststore.certificates", "ssl.ca.location",
			"ssl.keystore.location", "ssl.keystore.certificate.chain", "ssl.certificate.location"); ok {
			r.fail("security.protocol", "security.protocol is unset, so PLAINTEXT, yet "+k+" is set: set security.protocol=SSL or SASL_SSL to use TLS, or PLAINTEXT to ignore the ssl.* keys")
			return nil
		}
		if k, ok := r.has("sasl.jaas.config", "sasl.username"); ok {
			r.fail("security.protocol", "security.protocol is unset, so PLAINTEXT, yet "+k+" is set: set security.protocol=SASL_SSL or SASL_PLAINTEXT to authenticate, or PLAINTEXT to ignore the sasl.* keys")
			return nil
		}
	}
	var opts []kgo.Opt
	if proto == protoSSL || proto == protoSASLSSL {
		if cfg := r.tlsConfig(); cfg != nil {
			opts = append(opts, kgo.DialTLSConfig(cfg))
		}
	}
	if proto == protoSASLPlaintext || proto == protoSASLSSL {
		if m := r.saslMechanism(); m != nil {
			opts = append(opts, kgo.SASL(m))
		}
	}
	return opts
}

// tlsConfig builds the client TLS config from the ssl.* keys; nil when any
// of them is bad (and reported).
func (r *reader) tlsConfig() *tls.Config {
	n := len(r.errs)
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}

	// A store type matters only when its store is given: Kafka's default
	// type, JKS, is often written out next to no store at all.
	for _, st := range []struct {
		typ    string
		stores []string
	}{
		{"ssl.truststore.type", []string{"ssl.truststore.location", "ssl.truststore.certificates"}},
		{"ssl.keystore.type", []string{"ssl.keystore.location", "ssl.keystore.certificate.chain", "ssl.keystore.key"}},
	} {
		t, ok := r.get(st.typ)
		if _, used := r.has(st.stores...); ok && used && !strings.EqualFold(strings.TrimSpace(t), "PEM") {
			r.invalid(st.typ, "JKS and PKCS12 stores are not supported: use PEM: "+st.typ+"=PEM, with the store converted to PEM (keytool -importkeystore -deststoretype PKCS12, then openssl pkcs12 -nodes)")
		}
	}

	// Trust.
	if _, loc := r.has("ssl.truststore.location"); loc {
		if _, inline := r.has("ssl.truststore.certificates"); inline {
			r.fail("ssl.truststore.certificates", "set either ssl.truststore.location or ssl.truststore.certificates, not both")
		}
	}
	var roots *x509.CertPool
	addRoots := func(key string, data []byte) {
		if roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(data) {
			r.invalid(key, "no PEM certificates found (JKS and PKCS12 stores are not supported: use PEM: ssl.truststore.type=PEM)")
		}
	}
	for _, k := range []string{"ssl.truststore.location", "ssl.ca.location"} {
		if path := strings.TrimSpace(r.props[k]); path != "" {
			if data, ok := r.readFile(k, path); ok {
				addRoots(k, data)
			}
		}
	}
	if pemText := strings.TrimSpace(r.props["ssl.truststore.certificates"]); pemText != "" {
		addRoots("ssl.truststore.certificates", []byte(pemText))
	}
	cfg.RootCAs = roots

	// Client certificate (mTLS).
	if cert, ok := r.keyPair(); ok {
		cfg.Certificates = []tls.Certificate{cert}
	}

	// Host name verification.
	alg, _ := r.get("ssl.endpoint.identification.algorithm")
	switch strings.ToLower(strings.TrimSpace(alg)) {
	case "https":
	case "":
		if _, set := r.get("ssl.endpoint.identification.algorithm"); set {
			cfg.InsecureSkipVerify = true // replaced by the chain check below
			cfg.VerifyConnection = verifyChainOnly(roots)
		}
	default:
		r.invalid("ssl.endpoint.identification.algorithm", `String must be one of: https, "" (empty: no host name verification)`)
	}

	// Versions.
	if _, ok := r.get("ssl.enabled.protocols"); ok {
		var lo, hi uint16
		for _, p := range r.list("ssl.enabled.protocols") {
			var v uint16
			switch strings.ToUpper(p) {
			case "TLSV1.2":
				v = tls.VersionTLS12
			case "TLSV1.3":
				v = tls.VersionTLS13
			default:
				r.invalid("ssl.enabled.protocols", "unsupported protocol "+p+": use TLSv1.2 and/or TLSv1.3")
				continue
			}
			if lo == 0 || v < lo {
				lo = v
			}
			hi = max(hi, v)
		}
		if lo != 0 {
			cfg.MinVersion, cfg.MaxVersion = lo, hi
		}
	}
	if len(r.errs) > n {
		return nil
	}
	return cfg
}

// keyPair reads the client certificate and key from whichever of the three
// ways the props use; ok is false when there is none or it is bad.
func (r *reader) keyPair() (tls.Certificate, bool) {
	type source struct {
		certKey, keyKey string
		inline          bool
	}
	var srcs []source
	if _, ok := r.has("ssl.keystore.location"); ok {
		srcs = append(srcs, source{"ssl.keystore.location", "ssl.keystore.location", false})
	}
	if _, ok := r.has("ssl.keystore.certificate.chain", "ssl.keystore.key"); ok {
		srcs = append(srcs, source{"ssl.keystore.certificate.chain", "ssl.keystore.key", true})
	}
	if _, ok := r.has("ssl.certificate.location", "ssl.key.location"); ok {
		srcs = append(srcs, source{"ssl.certificate.location", "ssl.key.location", false})
	}
	switch len(srcs) {
	case 0:
		return tls.Certificate{}, false
	case 1:
	default:
		r.fail(srcs[1].certKey, "set only one of ssl.keystore.location, ssl.keystore.certificate.chain with ssl.keystore.key, or ssl.certificate.location with ssl.key.location")
		return tls.Certificate{}, false
	}
	s := srcs[0]
	read := func(key string) ([]byte, bool) {
		v := strings.TrimSpace(r.props[key])
		if v == "" {
			r.fail(key, "Missing configuration "+key+", needed with "+s.certKey)
			return nil, false
		}
		if s.inline {
			return []byte(v), true
		}
		return r.readFile(key, v)
	}
	certPEM, ok1 := read(s.certKey)
	keyPEM, ok2 := read(s.keyKey)
	if !ok1 || !ok2 {
		return tls.Certificate{}, false
	}
	if encryptedKey(keyPEM) {
		r.fail(s.keyKey, "the private key is encrypted, which is not supported: store it unencrypted (openssl pkcs8 -topk8 -nocrypt) and protect the file instead")
		return tls.Certificate{}, false
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		key := s.certKey
		if s.certKey != s.keyKey {
			key += ", " + s.keyKey
		}
		r.fail(s.certKey, "cannot load the client certificate and key from "+key+": "+err.Error()+" (want PEM: ssl.keystore.type=PEM)")
		return tls.Certificate{}, false
	}
	return cert, true
}

func encryptedKey(data []byte) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
			return true
		}
	}
}

func (r *reader) readFile(key, path string) ([]byte, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		r.fail(key, "cannot read "+key+": "+err.Error())
		return nil, false
	}
	return data, true
}

// verifyChainOnly verifies the broker's certificate chain against roots (the
// system roots when nil) without checking its host name: Kafka's
// ssl.endpoint.identification.algorithm="".
func verifyChainOnly(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("kafka: broker presented no certificate")
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(opts)
		return err
	}
}
