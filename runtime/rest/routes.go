package rest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"

	"go.uber.org/zap"
)

// Role is what an authenticated caller may do. Each role may do everything
// the roles below it may.
type Role int

// Roles, weakest first.
const (
	RoleNone     Role = iota // no credentials needed (GET /health, GET /openapi.json)
	RoleViewer               // reads
	RoleOperator             // pause, resume, stop, restart, topic reset, validate
	RoleAdmin                // create, change, delete connectors and offsets; log levels
)

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleOperator:
		return "operator"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// ParseRole parses viewer, operator or admin.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(s) {
	case "viewer":
		return RoleViewer, nil
	case "operator":
		return RoleOperator, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleNone, fmt.Errorf("unknown role %q (want viewer, operator or admin)", s)
}

// handlerFunc serves one route. It writes the success response itself and
// returns an error for anything else; serveRoute turns that into Kafka
// Connect's error body.
type handlerFunc func(s *Server, w http.ResponseWriter, r *http.Request, p params) error

// route is one method on one path pattern. Segments in braces are
// variables, matching exactly one (percent-decoded) path segment.
type route struct {
	method  string
	pattern string
	role    Role
	herder  bool // needs the herder: 503 while there is none
	serve   handlerFunc
	segs    []string
}

// Route describes one route, for the OpenAPI test and docs.
type Route struct {
	Method, Pattern string
	Role            Role
}

// Routes lists the API's routes.
func Routes() []Route {
	var out []Route
	for _, rt := range routeTable() {
		out = append(out, Route{rt.method, rt.pattern, rt.role})
	}
	return out
}

func routeTable() []route {
	rs := []route{
		{method: "GET", pattern: "/", role: RoleViewer, serve: (*Server).serverInfo},
		{method: "GET", pattern: "/health", role: RoleNone, serve: (*Server).health},
		{method: "GET", pattern: "/openapi.json", role: RoleNone, serve: (*Server).openAPI},

		{method: "GET", pattern: "/connectors", role: RoleViewer, herder: true, serve: (*Server).listConnectors},
		{method: "POST", pattern: "/connectors", role: RoleAdmin, herder: true, serve: (*Server).createConnector},
		{method: "GET", pattern: "/connectors/{connector}", role: RoleViewer, herder: true, serve: (*Server).getConnector},
		{method: "DELETE", pattern: "/connectors/{connector}", role: RoleAdmin, herder: true, serve: (*Server).deleteConnector},
		{method: "GET", pattern: "/connectors/{connector}/config", role: RoleViewer, herder: true, serve: (*Server).getConfig},
		{method: "PUT", pattern: "/connectors/{connector}/config", role: RoleAdmin, herder: true, serve: (*Server).putConfig},
		{method: "PATCH", pattern: "/connectors/{connector}/config", role: RoleAdmin, herder: true, serve: (*Server).patchConfig},
		{method: "GET", pattern: "/connectors/{connector}/status", role: RoleViewer, herder: true, serve: (*Server).getStatus},
		{method: "POST", pattern: "/connectors/{connector}/restart", role: RoleOperator, herder: true, serve: (*Server).restartConnector},
		{method: "PUT", pattern: "/connectors/{connector}/pause", role: RoleOperator, herder: true, serve: (*Server).pauseConnector},
		{method: "PUT", pattern: "/connectors/{connector}/resume", role: RoleOperator, herder: true, serve: (*Server).resumeConnector},
		{method: "PUT", pattern: "/connectors/{connector}/stop", role: RoleOperator, herder: true, serve: (*Server).stopConnector},
		{method: "GET", pattern: "/connectors/{connector}/tasks", role: RoleViewer, herder: true, serve: (*Server).listTasks},
		{method: "GET", pattern: "/connectors/{connector}/tasks/{task}/status", role: RoleViewer, herder: true, serve: (*Server).taskStatus},
		{method: "POST", pattern: "/connectors/{connector}/tasks/{task}/restart", role: RoleOperator, herder: true, serve: (*Server).restartTask},
		{method: "GET", pattern: "/connectors/{connector}/topics", role: RoleViewer, herder: true, serve: (*Server).getTopics},
		{method: "PUT", pattern: "/connectors/{connector}/topics/reset", role: RoleOperator, herder: true, serve: (*Server).resetTopics},
		{method: "GET", pattern: "/connectors/{connector}/offsets", role: RoleViewer, herder: true, serve: (*Server).getOffsets},
		{method: "PATCH", pattern: "/connectors/{connector}/offsets", role: RoleAdmin, herder: true, serve: (*Server).alterOffsets},
		{method: "DELETE", pattern: "/connectors/{connector}/offsets", role: RoleAdmin, herder: true, serve: (*Server).resetOffsets},

		{method: "GET", pattern: "/connector-plugins", role: RoleViewer, serve: (*Server).listPlugins},
		{method: "GET", pattern: "/connector-plugins/{plugin}/config", role: RoleViewer, serve: (*Server).pluginConfig},
		{method: "PUT", pattern: "/connector-plugins/{plugin}/config/validate", role: RoleOperator, herder: true, serve: (*Server).validateConfig},

		{method: "GET", pattern: "/admin/loggers", role: RoleViewer, serve: (*Server).listLoggers},
		{method: "GET", pattern: "/admin/loggers/{logger}", role: RoleViewer, serve: (*Server).getLogger},
		{method: "PUT", pattern: "/admin/loggers/{logger}", role: RoleAdmin, serve: (*Server).setLogger},
	}
	for i := range rs {
		rs[i].segs = splitPattern(rs[i].pattern)
	}
	return rs
}

func splitPattern(p string) []string {
	if p == "/" {
		return nil
	}
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// params are the values of a matched route's variables.
type params []string // name, value, name, value…

func (p params) get(name string) string {
	for i := 0; i+1 < len(p); i += 2 {
		if p[i] == name {
			return p[i+1]
		}
	}
	return ""
}

// splitPath returns the percent-decoded segments of an escaped path, or
// ok=false for a path no route can match (empty segments, bad escapes).
func splitPath(escaped string) (segs []string, ok bool) {
	if !strings.HasPrefix(escaped, "/") {
		return nil, false
	}
	escaped = escaped[1:]
	if escaped == "" {
		return nil, true
	}
	escaped = strings.TrimSuffix(escaped, "/") // Jersey ignores one trailing slash too
	raw := strings.Split(escaped, "/")
	segs = make([]string, len(raw))
	for i, r := range raw {
		s, err := url.PathUnescape(r)
		if err != nil || s == "" {
			return nil, false
		}
		segs[i] = s
	}
	return segs, true
}

func (rt *route) match(segs []string) (params, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	var p params
	for i, ps := range rt.segs {
		if strings.HasPrefix(ps, "{") {
			p = append(p, ps[1:len(ps)-1], segs[i])
			continue
		}
		if ps != segs[i] {
			return nil, false
		}
	}
	return p, true
}

// find returns the route for method and path segments, or the methods the
// path allows (for 405), or neither (404).
func (s *Server) find(method string, segs []string) (*route, params, []string) {
	var allowed []string
	for i := range s.routes {
		rt := &s.routes[i]
		p, ok := rt.match(segs)
		if !ok {
			continue
		}
		if rt.method == method {
			return rt, p, nil
		}
		allowed = append(allowed, rt.method)
	}
	return nil, nil, allowed
}

// ServeHTTP authenticates, routes, authorises and serves one request.
// public reports whether a route that needs no credentials serves segs.
func (s *Server) public(segs []string) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut} {
		if rt, _, _ := s.find(m, segs); rt != nil && rt.role == RoleNone {
			return true
		}
	}
	return false
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("REST handler panicked", zap.String("method", r.Method), zap.String("path", r.URL.Path),
				zap.Any("panic", v), zap.ByteString("stack", debug.Stack()))
			writeError(w, errorf(http.StatusInternalServerError, "internal error: %v", v))
		}
	}()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")

	segs, ok := splitPath(r.URL.EscapedPath())
	public := ok && s.public(segs)
	role := RoleAdmin // no authentication configured: everyone may do everything
	if s.creds != nil && !public {
		var err error
		if role, err = s.creds.authenticate(r); err != nil {
			h.Set("WWW-Authenticate", `Bearer realm="freshet", Basic realm="freshet", charset="UTF-8"`)
			s.log.Info("REST request refused: not authenticated", zap.String("method", r.Method),
				zap.String("path", r.URL.Path), zap.String("remote", r.RemoteAddr), zap.Error(err))
			writeError(w, err)
			return
		}
	}
	if !ok {
		writeError(w, errorf(http.StatusNotFound, "HTTP 404 Not Found"))
		return
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	rt, p, allowed := s.find(method, segs)
	if rt == nil {
		if len(allowed) == 0 {
			writeError(w, errorf(http.StatusNotFound, "HTTP 404 Not Found"))
			return
		}
		if slices.Contains(allowed, "GET") {
			allowed = append(allowed, "HEAD")
		}
		allowed = append(allowed, "OPTIONS")
		h.Set("Allow", strings.Join(allowed, ", "))
		if method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeError(w, errorf(http.StatusMethodNotAllowed, "HTTP 405 Method Not Allowed"))
		return
	}
	if s.creds != nil && role < rt.role {
		writeError(w, errorf(http.StatusForbidden, "Role %s may not %s %s: it needs the %s role", role, method, rt.pattern, rt.role))
		return
	}
	if rt.herder && s.h == nil {
		writeError(w, errorf(http.StatusServiceUnavailable, "Worker is still starting up; try again shortly"))
		return
	}
	if r.ContentLength > MaxBodyBytes {
		writeError(w, errTooLarge())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if s.forward(w, r, rt) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.requestTimeout)
	defer cancel()
	if err := rt.serve(s, w, r.WithContext(ctx), p); err != nil {
		if st := statusOf(err); st >= 500 {
			s.log.Warn("REST request failed", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Error(err))
		}
		writeError(w, err)
	}
}
