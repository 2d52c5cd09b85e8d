package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/herder"
)

// The success messages Kafka Connect gives when the connector itself has
// no say in its offsets (a connector that stores offsets in its sink, such
// as the Iceberg and PostgreSQL sinks, keeps its own copy).
const (
	msgAltered = "The Connect framework-managed offsets for this connector have been altered successfully. " +
		"However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
	msgReset = "The Connect framework-managed offsets for this connector have been reset successfully. " +
		"However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses."
)

// GET /connectors/{connector}/offsets
func (s *Server) getOffsets(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	positions, err := s.h.Offsets(r.Context(), name)
	if err != nil {
		return s.offsetsError(err, name)
	}
	out := offsetsBody{Offsets: make([]offsetEntry, 0, len(positions))}
	for _, pos := range positions {
		out.Offsets = append(out.Offsets, offsetEntry{Partition: pos.Partition, Offset: pos.Offset})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// PATCH /connectors/{connector}/offsets
func (s *Server) alterOffsets(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	var req offsetsRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if len(req.Offsets) == 0 {
		return errorf(http.StatusBadRequest, "Partitions / offsets need to be provided for an alter offsets request")
	}
	positions := make([]sdk.Position, 0, len(req.Offsets))
	for i, o := range req.Offsets {
		if o.Partition == nil {
			return errorf(http.StatusBadRequest, "Offset %d has no partition: each entry needs {\"partition\": {…}, \"offset\": {…} or null}", i)
		}
		positions = append(positions, sdk.Position{Partition: exactNumbers(o.Partition), Offset: exactNumbers(o.Offset)})
	}
	if err := s.h.AlterOffsets(r.Context(), name, positions); err != nil {
		return s.offsetsError(err, name)
	}
	writeJSON(w, http.StatusOK, messageBody{msgAltered})
	return nil
}

// DELETE /connectors/{connector}/offsets
func (s *Server) resetOffsets(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	if err := s.h.ResetOffsets(r.Context(), name); err != nil {
		return s.offsetsError(err, name)
	}
	writeJSON(w, http.StatusOK, messageBody{msgReset})
	return nil
}

func (s *Server) offsetsError(err error, name string) error {
	switch {
	case errors.Is(err, herder.ErrNotStopped):
		return &apiError{code: http.StatusBadRequest, err: err, msg: fmt.Sprintf("Connectors must be in the STOPPED state before their offsets can be modified. "+
			"This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint", name)}
	case errors.Is(err, herder.ErrInvalidOffsets):
		return &apiError{code: http.StatusBadRequest, err: err, msg: strings.TrimPrefix(err.Error(), herder.ErrInvalidOffsets.Error()+": ")}
	}
	return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
}

// exactNumbers turns json.Number values into int64 when integral, else
// float64, which is what the offset stores accept.
func exactNumbers(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				v = i
			} else if f, err := n.Float64(); err == nil {
				v = f
			} else {
				v = n.String()
			}
		}
		out[k] = v
	}
	return out
}
