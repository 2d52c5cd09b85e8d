package rest_test

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/runtime/rest"
)

type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		OperationID string                     `json:"operationId"`
		Role        string                     `json:"x-freshet-role"`
		Responses   map[string]json.RawMessage `json:"responses"`
		Parameters  []struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

// TestOpenAPIMatchesRoutes keeps openapi.json in step with the route table:
// the same paths and methods, each with the role the server enforces, its
// path parameters declared, unique operation ids, and every $ref defined.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}
	routes := map[string]rest.Route{}
	for _, r := range rest.Routes() {
		routes[r.Method+" "+r.Pattern] = r
	}
	documented := map[string]bool{}
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + path
			documented[key] = true
			r, ok := routes[key]
			if !ok {
				t.Errorf("openapi.json documents %s, which the server does not serve", key)
				continue
			}
			if op.Role != r.Role.String() {
				t.Errorf("%s: x-freshet-role %q, the server enforces %q", key, op.Role, r.Role)
			}
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: operationId %q missing or duplicated", key, op.OperationID)
			}
			ids[op.OperationID] = true
			for _, seg := range strings.Split(path, "/") {
				if !strings.HasPrefix(seg, "{") {
					continue
				}
				name := strings.Trim(seg, "{}")
				found := false
				for _, p := range op.Parameters {
					found = found || (p.Name == name && p.In == "path")
				}
				if !found {
					t.Errorf("%s: path parameter %q not declared", key, name)
				}
			}
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", key)
			}
		}
	}
	var missing []string
	for key := range routes {
		if !documented[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("route %s is not in openapi.json", m)
	}
	for _, ref := range refs(raw) {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("$ref %s is not defined", ref)
		}
	}
}

func refs(raw []byte) []string {
	var out []string
	s := string(raw)
	for {
		i := strings.Index(s, `"$ref": "`)
		if i < 0 {
			return out
		}
		s = s[i+len(`"$ref": "`):]
		out = append(out, s[:strings.IndexByte(s, '"')])
	}
}

// TestOpenAPIServed: GET /openapi.json serves the committed document.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	code, hdr, body := e.do("GET", "/openapi.json", "")
	want, _ := os.ReadFile("openapi.json")
	if code != 200 || hdr.Get("Content-Type") != "application/json" || body != string(want) {
		t.Fatalf("GET /openapi.json: %d %s, %d bytes (want %d)", code, hdr.Get("Content-Type"), len(body), len(want))
	}
}
