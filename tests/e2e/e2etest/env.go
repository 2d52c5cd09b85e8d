package e2etest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Require skips t unless FRESHET_E2E=1: end-to-end tests run against real
// servers only when asked to (make e2e sets it).
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv("FRESHET_E2E") != "1" {
		t.Skip("end-to-end test against real servers: run `make e2e` (sets FRESHET_E2E=1)")
	}
}

// Lookup returns a variable from the environment, else from the exports that
// tests/services/up.sh writes to $FRESHET_SERVICES_DIR/env (by default
// /tmp/freshet-services/env).
func Lookup(name string) (string, bool) {
	if v := os.Getenv(name); v != "" {
		return v, true
	}
	v := servicesEnv()[name]
	return v, v != ""
}

// Getenv is Lookup for an end-to-end test: it skips t unless FRESHET_E2E=1,
// then fails t when the variable is set nowhere, so that a missing server
// cannot pass for a skipped test.
func Getenv(t testing.TB, name string) string {
	t.Helper()
	Require(t)
	if v, ok := Lookup(name); ok {
		return v
	}
	t.Fatalf("%s is not set: run `make e2e`, or build bin/freshet, start the servers with tests/services/up.sh "+
		"and `source ${FRESHET_SERVICES_DIR:-/tmp/freshet-services}/env`", name)
	return ""
}

// Bin returns FRESHET_BIN, the freshet binary under test, and fails t unless
// it names an executable file.
func Bin(t testing.TB) string {
	t.Helper()
	bin := Getenv(t, "FRESHET_BIN")
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("FRESHET_BIN=%s is not an executable file (run make build): %v", bin, err)
	}
	return bin
}

// Env is what most end-to-end tests need: the binary under test and Kafka.
type Env struct {
	Bin string
	*Kafka
}

// Setup skips t unless FRESHET_E2E=1, then fails it unless FRESHET_BIN is
// an executable and Kafka answers.
func Setup(t testing.TB) *Env {
	t.Helper()
	return &Env{Bin: Bin(t), Kafka: NewKafka(t)}
}

// UniqueName returns prefix and a suffix that no other run uses, made of
// characters that are valid in topic, connector, table and Redis key names.
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s_%s_%04x", prefix, strconv.FormatInt(time.Now().UnixMilli(), 36), rand.IntN(1<<16))
}

// servicesEnv reads the exports of $FRESHET_SERVICES_DIR/env: lines of
// `export NAME=VALUE`, the value quoted as bash's printf %q or in quotes.
func servicesEnv() map[string]string {
	dir := cmp.Or(os.Getenv("FRESHET_SERVICES_DIR"), "/tmp/freshet-services")
	b, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "=")
		if !ok {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		out[k] = strings.Trim(v, `'"`)
	}
	return out
}
