package host

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// clientTLS makes the worker's side of go-plugin's automatic mutual TLS: a
// one-time certificate, whose PEM the plugin gets in PLUGIN_CLIENT_CERT,
// and the TLS config go-plugin completes with the certificate the plugin
// prints in its handshake line.
//
// It is go-plugin's AutoMTLS protocol, with one difference: the key is
// P-256, where go-plugin's own is P-521, which BoringSSL (and so grpcio,
// and with it plugins in Python and most other languages) does not accept
// for TLS client authentication. Go plugins serve as before: go-plugin's
// server trusts whatever certificate PLUGIN_CLIENT_CERT holds.
func clientTLS() (*tls.Config, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("plugin mTLS key: %w", err)
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, "", fmt.Errorf("plugin mTLS serial: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"Freshet"}},
		DNSNames:              []string{"localhost"},
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SerialNumber:          sn,
		NotBefore:             time.Now().Add(-30 * time.Second),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, "", fmt.Errorf("plugin mTLS certificate: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		ServerName:   "localhost",
		// Full-size TLS records from the first byte: batches are bulk data.
		DynamicRecordSizingDisabled: true,
		// RootCAs (and ClientCAs) are set by go-plugin from the handshake.
	}, string(certPEM), nil
}
