package rest_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/runtime/rest"
)

// credFile writes a credentials file with a token per role and one basic
// user (admin), hashed as `freshet connectors hash-secret` would.
func credFile(t *testing.T) string {
	t.Helper()
	pw, err := rest.HashPasswordForTest("alice-password")
	if err != nil {
		t.Fatal(err)
	}
	body := "# test credentials\n" +
		"token viewer-bot   viewer   " + rest.HashToken("tok-viewer") + "\n" +
		"token operator-bot operator " + rest.HashToken("tok-operator") + "\n" +
		"token admin-bot    admin    " + rest.HashToken("tok-admin") + "\n" +
		"basic alice        admin    " + pw + "\n"
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func routePath(pattern string) string {
	return strings.NewReplacer("{connector}", "c1", "{task}", "0", "{plugin}", "FileStreamSink", "{logger}", "rest").Replace(pattern)
}

// TestAuthRoles sends every route with no credentials, bad credentials and
// each role, and checks who is refused: 401 without valid credentials, 403
// for a role below the route's, and never either otherwise.
func TestAuthRoles(t *testing.T) {
	e := newEnv(t, rest.WithAuth(credFile(t)))
	if code, _, _ := e.do("POST", "/connectors", `{"name":"c1","config":{"connector.class":"FileStreamSink","topics":"t"}}`, "Authorization", "Bearer tok-admin"); code != 201 {
		t.Fatalf("create c1 as admin: %d", code)
	}
	callers := []struct {
		name string
		role rest.Role // RoleNone: not authenticated
		hdr  []string
	}{
		{"anonymous", rest.RoleNone, nil},
		{"bad token", rest.RoleNone, []string{"Authorization", "Bearer nope"}},
		{"bad password", rest.RoleNone, []string{"Authorization", "Basic YWxpY2U6d3Jvbmc="}},
		{"unknown scheme", rest.RoleNone, []string{"Authorization", "Digest x"}},
		{"viewer", rest.RoleViewer, []string{"Authorization", "Bearer tok-viewer"}},
		{"operator", rest.RoleOperator, []string{"Authorization", "Bearer tok-operator"}},
		{"admin", rest.RoleAdmin, []string{"Authorization", "Bearer tok-admin"}},
		{"basic admin", rest.RoleAdmin, []string{"Authorization", "Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="}},
	}
	for _, rt := range rest.Routes() {
		if rt.Method != "GET" && rt.Role < rest.RoleOperator {
			t.Errorf("%s %s changes state but needs only %s", rt.Method, rt.Pattern, rt.Role)
		}
		for _, c := range callers {
			t.Run(c.name+" "+rt.Method+" "+rt.Pattern, func(t *testing.T) {
				body := ""
				if rt.Method != "GET" && rt.Method != "DELETE" {
					body = "{}"
				}
				// Deleting c1 would change what later cases see; delete another.
				path := routePath(rt.Pattern)
				if rt.Method == "DELETE" && rt.Pattern == "/connectors/{connector}" {
					path = "/connectors/other"
				}
				code, hdr, resp := e.do(rt.Method, path, body, c.hdr...)
				switch {
				case rt.Role == rest.RoleNone:
					if code == 401 || code == 403 {
						t.Errorf("public route refused: %d %s", code, resp)
					}
				case c.role == rest.RoleNone:
					if code != 401 || !strings.Contains(resp, `"error_code":401`) || hdr.Get("WWW-Authenticate") == "" {
						t.Errorf("got %d %s (WWW-Authenticate %q), want 401 with Kafka Connect's error body", code, resp, hdr.Get("WWW-Authenticate"))
					}
				case c.role < rt.Role:
					if code != 403 || !strings.Contains(resp, `"error_code":403`) {
						t.Errorf("role %s: got %d %s, want 403", c.role, code, resp)
					}
				default:
					if code == 401 || code == 403 {
						t.Errorf("role %s refused: %d %s", c.role, code, resp)
					}
				}
			})
		}
	}
}

func TestCredentialsFileErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"empty", "# nothing\n", "no credentials"},
		{"fields", "token a admin\n", "want 4 fields"},
		{"role", "token a root " + rest.HashToken("x") + "\n", "unknown role"},
		{"kind", "cert a admin x\n", "unknown kind"},
		{"token hash", "token a admin md5:abc\n", "sha256:<64 hex digits>"},
		{"basic hash", "basic a admin sha256:abc\n", "pbkdf2-sha256"},
		{"duplicate token", "token a admin " + rest.HashToken("x") + "\ntoken b viewer " + rest.HashToken("x") + "\n", "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "creds")
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := rest.New(nil, nil, nil, rest.WithAuth(path))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestHealthIsPublic: probes need no credentials; everything else does.
func TestHealthIsPublic(t *testing.T) {
	e := newEnv(t, rest.WithAuth(credFile(t)))
	if code, _, body := e.do("GET", "/health", ""); code != http.StatusOK {
		t.Fatalf("GET /health: %d %s", code, body)
	}
	if code, _, _ := e.do("GET", "/", ""); code != http.StatusUnauthorized {
		t.Fatalf("GET / without credentials: %d, want 401", code)
	}
}
