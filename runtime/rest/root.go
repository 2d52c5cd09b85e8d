package rest

import (
	"context"
	_ "embed"
	"net/http"
	"strconv"
	"time"
)

// openAPIDoc is the OpenAPI 3 document of this API. It is written by hand
// and kept in step with the route table by TestOpenAPIMatchesRoutes.
//
//go:embed openapi.json
var openAPIDoc []byte

// GET /
func (s *Server) serverInfo(w http.ResponseWriter, _ *http.Request, _ params) error {
	info := serverInfo{Version: s.opts.version, Commit: s.opts.commit}
	if s.opts.clusterID != nil {
		info.KafkaClusterID = s.opts.clusterID()
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// GET /health: 200 once the herder answers, 503 while the worker starts,
// 500 if the herder does not answer within 10 s (Kafka Connect's KIP-1017).
func (s *Server) health(w http.ResponseWriter, r *http.Request, _ params) error {
	if s.h == nil {
		writeJSON(w, http.StatusServiceUnavailable, healthBody{"starting", "Worker is still starting up."})
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if _, err := s.h.Connectors(ctx); err != nil {
		writeJSON(w, http.StatusInternalServerError, healthBody{"unhealthy", "Worker was unable to handle this request: " + err.Error()})
		return nil
	}
	writeJSON(w, http.StatusOK, healthBody{"healthy", "Worker has completed startup and is ready to handle requests."})
	return nil
}

// GET /openapi.json
func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request, _ params) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(openAPIDoc)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openAPIDoc)
	return nil
}
