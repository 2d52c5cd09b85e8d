package sinks

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// service returns the address of a server that tests/services started: from
// the environment, else from the services env file. Without FRESHET_E2E=1
// the test is skipped; with it, a missing server fails the test.
func service(t testing.TB, name string) string {
	t.Helper()
	if os.Getenv("FRESHET_E2E") != "1" {
		t.Skip("end-to-end test: set FRESHET_E2E=1 and start tests/services/up.sh postgres redis")
	}
	if v := os.Getenv(name); v != "" {
		return v
	}
	if v := servicesEnv()[name]; v != "" {
		return v
	}
	t.Fatalf("%s is not set: run tests/services/up.sh postgres redis and source $FRESHET_SERVICES_DIR/env", name)
	return ""
}

// servicesEnv reads the exports of $FRESHET_SERVICES_DIR/env.
func servicesEnv() map[string]string {
	dir := os.Getenv("FRESHET_SERVICES_DIR")
	if dir == "" {
		dir = "/tmp/freshet-services"
	}
	f, err := os.Open(filepath.Join(dir, "env"))
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[k] = strings.Trim(v, `'"`)
	}
	return out
}
