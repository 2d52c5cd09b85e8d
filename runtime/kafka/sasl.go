package kafka

import (
	"strings"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// SASL mechanisms and the JAAS login modules that go with them.
const (
	mechPlain       = "PLAIN"
	mechScramSHA256 = "SCRAM-SHA-256"
	mechScramSHA512 = "SCRAM-SHA-512"

	plainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	scramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
)

func (r *reader) saslMechanism() sasl.Mechanism {
	raw, ok := r.get("sasl.mechanism")
	if !ok || strings.TrimSpace(raw) == "" {
		r.fail("sasl.mechanism", "Missing configuration sasl.mechanism, needed by security.protocol=SASL_*: set PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (Kafka's default, GSSAPI, is not supported)")
		return nil
	}
	var module string
	mech := strings.ToUpper(strings.TrimSpace(raw))
	switch mech {
	case mechPlain:
		module = plainLoginModule
	case mechScramSHA256, mechScramSHA512:
		module = scramLoginModule
	default:
		r.invalid("sasl.mechanism", "unsupported SASL mechanism: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
		return nil
	}

	var user, pass string
	var token bool
	_, hasJAAS := r.has("sasl.jaas.config")
	_, hasUser := r.has("sasl.username", "sasl.password")
	switch {
	case hasJAAS && hasUser:
		r.fail("sasl.username", "set either sasl.jaas.config or sasl.username with sasl.password, not both")
		return nil
	case hasJAAS:
		jc, err := parseJAAS(r.props["sasl.jaas.config"])
		if err != nil {
			r.invalid("sasl.jaas.config", err.Error())
			return nil
		}
		if jc.module != module {
			r.invalid("sasl.jaas.config", "sasl.mechanism="+mech+" needs the login module "+module+", not "+jc.module)
			return nil
		}
		var okU, okP bool
		user, okU = jc.options["username"]
		pass, okP = jc.options["password"]
		if !okU || !okP {
			r.invalid("sasl.jaas.config", `the login module needs username="…" and password="…"`)
			return nil
		}
		if module == scramLoginModule {
			token = strings.EqualFold(jc.options["tokenauth"], "true")
		}
	case hasUser:
		var okU, okP bool
		user, okU = r.get("sasl.username")
		pass, okP = r.get("sasl.password")
		if !okU || !okP {
			r.fail("sasl.username", "set both sasl.username and sasl.password")
			return nil
		}
	default:
		r.fail("sasl.jaas.config", "Missing SASL credentials for sasl.mechanism="+mech+`: set sasl.jaas.config=`+module+` required username="…" password="…"; (or sasl.username and sasl.password)`)
		return nil
	}

	switch mech {
	case mechPlain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism()
	case mechScramSHA256:
		return scram.Auth{User: user, Pass: pass, IsToken: token}.AsSha256Mechanism()
	default:
		return scram.Auth{User: user, Pass: pass, IsToken: token}.AsSha512Mechanism()
	}
}
