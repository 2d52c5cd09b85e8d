// Package rest serves Freshet's Kafka Connect-compatible REST API.
//
// PLACEHOLDER: a handful of read endpoints so the worker and demo run; the
// full API replaces this file.
package rest

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/plugin"
)

// Server is the REST server.
type Server struct {
	h       *herder.Herder
	log     *zap.Logger
	version string
	id      string
	srv     *http.Server
	url     string
}

// Option configures a Server.
type Option func(*Server)

// WithVersion sets the version GET / reports.
func WithVersion(v string) Option { return func(s *Server) { s.version = v } }

// WithWorkerID sets the worker id.
func WithWorkerID(id string) Option { return func(s *Server) { s.id = id } }

// New returns a server.
func New(h *herder.Herder, _ *plugin.Registry, log *zap.Logger, opts ...Option) (*Server, error) {
	s := &Server{h: h, log: log}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"version": s.version, "commit": "", "kafka_cluster_id": ""})
	})
	mux.HandleFunc("GET /connectors", func(w http.ResponseWriter, r *http.Request) {
		names, err := h.Connectors(r.Context())
		if err != nil {
			writeJSON(w, 500, map[string]any{"error_code": 500, "message": err.Error()})
			return
		}
		if names == nil {
			names = []string{}
		}
		writeJSON(w, 200, names)
	})
	mux.HandleFunc("GET /connectors/{name}/status", func(w http.ResponseWriter, r *http.Request) {
		st, err := h.Status(r.PathValue("name"))
		if err != nil {
			writeJSON(w, 404, map[string]any{"error_code": 404, "message": err.Error()})
			return
		}
		tasks := []map[string]any{}
		for _, t := range st.Tasks {
			m := map[string]any{"id": t.ID, "state": t.State, "worker_id": t.WorkerID}
			if t.Trace != "" {
				m["trace"] = t.Trace
			}
			tasks = append(tasks, m)
		}
		conn := map[string]any{"state": st.State, "worker_id": st.WorkerID}
		if st.Trace != "" {
			conn["trace"] = st.Trace
		}
		writeJSON(w, 200, map[string]any{"name": st.Name, "connector": conn, "tasks": tasks, "type": st.Kind})
	})
	s.srv = &http.Server{Handler: mux}
	return s, nil
}

// Start listens on the first listener and serves in the background.
func (s *Server) Start(listeners []string) error {
	u := listeners[0]
	addr := strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.url = "http://" + l.Addr().String()
	go func() {
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("REST server stopped", zap.Error(err))
		}
	}()
	return nil
}

// URL returns the listener's URL.
func (s *Server) URL() string { return s.url }

// Shutdown stops the server.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
