package config

import (
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

func TestResolve(t *testing.T) {
	t.Setenv("FRESHET_TEST_DB_USER", "orders")
	t.Setenv("FRESHET_TEST_EMPTY", "")
	secrets, err := filepath.Abs("testdata/secrets")
	if err != nil {
		t.Fatal(err)
	}
	dbProps := filepath.Join(secrets, "db.properties")
	dir := filepath.Join(secrets, "dir")

	workerProps := map[string]string{
		"config.providers":           "env,file,directory,dir,vault2",
		"config.providers.env.class": EnvVarProviderClass,
		// file: no class, the short name is the class
		"config.providers.directory.class": "DirectoryConfigProvider",
		"config.providers.dir.class":       "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
		"config.providers.vault2.class":    "file",
	}
	r, err := NewResolver(workerProps)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, in, want string
		error          string // substring of the error; empty: success
	}{
		{name: "no reference", in: "plain", want: "plain"},
		{name: "dollar without reference", in: "a$b ${noColon} $3", want: "a$b ${noColon} $3"},
		{name: "env", in: "${env:FRESHET_TEST_DB_USER}", want: "orders"},
		{name: "env set but empty", in: "x${env:FRESHET_TEST_EMPTY}y", want: "xy"},
		{name: "file", in: "${file:" + dbProps + ":password}", want: "s3cr3t!pa55"},
		{name: "several in one value", in: "jdbc:postgresql://db/orders?user=${env:FRESHET_TEST_DB_USER}&password=${file:" + dbProps + ":password}",
			want: "jdbc:postgresql://db/orders?user=orders&password=s3cr3t!pa55"},
		{name: "directory", in: "${directory:" + dir + ":password}", want: "dir-secret\n"},
		{name: "provider named dir", in: "${dir:" + dir + ":password}", want: "dir-secret\n"},
		{name: "any provider name", in: "${vault2:" + dbProps + ":username}", want: "orders"},
		{name: "unknown provider", in: "${vault:secret/db:password}", error: `cannot resolve ${vault:secret/db:password}: no config provider named "vault"`},
		{name: "missing variable", in: "${env:FRESHET_TEST_NOT_SET}", error: "environment variable FRESHET_TEST_NOT_SET is not set"},
		{name: "env with path", in: "${env:some/path:X}", error: "the env provider takes no path"},
		{name: "missing file", in: "${file:/nonexistent/x.properties:k}", error: "cannot resolve ${file:/nonexistent/x.properties:k}: load properties: open /nonexistent/x.properties"},
		{name: "missing key", in: "${file:" + dbProps + ":nokey}", error: "no key nokey in " + dbProps},
		{name: "file without path", in: "${file:password}", error: "the file provider needs a path"},
		{name: "missing dir file", in: "${directory:" + dir + ":nope}", error: "no file nope in directory " + dir},
		{name: "dir subdirectory", in: "${directory:" + dir + ":sub}", error: "is not a regular file"},
		{name: "dir traversal", in: "${directory:" + dir + ":sub/nested}", error: `"sub/nested" is not a file name`},
		{name: "dir dotdot", in: "${directory:" + dir + ":..}", error: `".." is not a file name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{"connection.password": tc.in, "other": "${untouched"}
			before := maps.Clone(cfg)
			got, err := r.Resolve(cfg)
			if !maps.Equal(cfg, before) {
				t.Fatalf("input modified: %q", cfg)
			}
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("error = %v, want one containing %q", err, tc.error)
				}
				ce, ok := errors.AsType[*sdk.ConfigError](err)
				if !ok || ce.Key != "connection.password" {
					t.Errorf("error does not name the key: %#v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got["connection.password"] != tc.want || got["other"] != "${untouched" {
				t.Errorf("got %q, want %q", got["connection.password"], tc.want)
			}
		})
	}
}

func TestResolveErrorsNeverShowSecrets(t *testing.T) {
	t.Setenv("FRESHET_TEST_SECRET", "hunter2")
	dbProps, _ := filepath.Abs("testdata/secrets/db.properties")
	r, err := NewResolver(map[string]string{"config.providers": "env,file"})
	if err != nil {
		t.Fatal(err)
	}
	// Each value holds a reference that resolves next to one that fails.
	_, err = r.Resolve(map[string]string{
		"b.password": "${env:FRESHET_TEST_SECRET}:${env:FRESHET_TEST_MISSING}",
		"a.password": "${file:" + dbProps + ":password}/${file:" + dbProps + ":nokey}",
		"ok":         "${env:FRESHET_TEST_SECRET}",
	})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, secret := range []string{"hunter2", "s3cr3t"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error shows a secret: %s", msg)
		}
	}
	// One error per key, sorted by key.
	lines := strings.Split(msg, "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "a.password: ") || !strings.HasPrefix(lines[1], "b.password: ") {
		t.Errorf("errors = %q", lines)
	}
}

func TestResolverParams(t *testing.T) {
	t.Setenv("DB_PASSWORD", "p")
	t.Setenv("HOME_SECRET", "h")
	secrets, _ := filepath.Abs("testdata/secrets")
	other, _ := filepath.Abs("testdata")
	r, err := NewResolver(map[string]string{
		"config.providers": "env,file,directory",
		"config.providers.env.param.allowlist.pattern":   "DB_.*",
		"config.providers.file.param.allowed.paths":      secrets + ", /nonexistent",
		"config.providers.directory.param.allowed.paths": filepath.Join(secrets, "dir"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, error string }{
		{"${env:DB_PASSWORD}", ""},
		{"${env:HOME_SECRET}", "environment variable HOME_SECRET is not allowed by allowlist.pattern DB_.*"},
		{"${env:XDB_PASSWORD}", "not allowed"},
		{"${file:" + secrets + "/db.properties:password}", ""},
		{"${file:" + secrets + "/../secrets/db.properties:password}", ""},
		{"${file:" + other + "/worker.properties:group.id}", "is outside allowed.paths"},
		{"${file:" + secrets + "/../worker.properties:group.id}", "is outside allowed.paths"},
		{"${file:testdata/secrets/db.properties:password}", "is outside allowed.paths"},
		{"${directory:" + secrets + "/dir:password}", ""},
		{"${directory:" + secrets + ":db.properties}", "is outside allowed.paths"},
	} {
		_, err := r.Resolve(map[string]string{"k": tc.in})
		if tc.error == "" && err != nil || tc.error != "" && (err == nil || !strings.Contains(err.Error(), tc.error)) {
			t.Errorf("%s: error = %v, want %q", tc.in, err, tc.error)
		}
	}
}

func TestNewResolverErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		error string
	}{
		{"no providers", map[string]string{}, ""},
		{"unknown class", map[string]string{"config.providers": "v", "config.providers.v.class": "io.Vault"},
			"config.providers.v.class: Invalid value io.Vault for configuration config.providers.v.class: unsupported config provider class"},
		{"missing class", map[string]string{"config.providers": "secrets"},
			`config.providers.secrets.class: Missing configuration "config.providers.secrets.class" for config provider "secrets"`},
		{"bad pattern", map[string]string{"config.providers": "env", "config.providers.env.param.allowlist.pattern": "("},
			"config.providers.env.param.allowlist.pattern: Invalid value (: not a regular expression"},
		{"relative allowed path", map[string]string{"config.providers": "file", "config.providers.file.param.allowed.paths": "secrets"},
			"path secrets is not absolute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewResolver(tc.props)
			if tc.error == "" && err != nil || tc.error != "" && (err == nil || !strings.Contains(err.Error(), tc.error)) {
				t.Errorf("error = %v, want %q", err, tc.error)
			}
		})
	}
}

func TestResolveWithoutProviders(t *testing.T) {
	r, err := NewResolver(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Resolve(map[string]string{"a": "1"})
	if err != nil || got["a"] != "1" {
		t.Errorf("got %v %v", got, err)
	}
	if _, err := r.Resolve(map[string]string{"a": "${env:HOME}"}); err == nil {
		t.Error("an undeclared env provider resolved")
	}
}
