package rest

import (
	"fmt"
	"net/http"
)

// GET /connectors/{connector}/topics: the topics the connector has used
// since it was created or its topics were last reset. Like Kafka Connect, a
// connector it knows nothing about has no topics rather than a 404.
func (s *Server) getTopics(w http.ResponseWriter, r *http.Request, p params) error {
	if !s.opts.topicTracking {
		return errorf(http.StatusForbidden, "Topic tracking is disabled.")
	}
	name := p.get("connector")
	topics, err := s.h.Topics(r.Context(), name)
	if err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
	}
	if topics == nil {
		topics = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]topicsBody{name: {Topics: topics}})
	return nil
}

// PUT /connectors/{connector}/topics/reset
func (s *Server) resetTopics(w http.ResponseWriter, r *http.Request, p params) error {
	if !s.opts.topicTracking {
		return errorf(http.StatusForbidden, "Topic tracking is disabled.")
	}
	if !s.opts.topicReset {
		return errorf(http.StatusForbidden, "Topic tracking reset is disabled.")
	}
	name := p.get("connector")
	if err := s.h.ResetTopics(r.Context(), name); err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
	}
	noContent(w, http.StatusAccepted)
	return nil
}
