package rest

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// GET /connectors[?expand=status&expand=info]
func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request, _ params) error {
	ctx := r.Context()
	names, err := s.h.Connectors(ctx)
	if err != nil {
		return s.herderError(err, "", nil)
	}
	if names == nil {
		names = []string{}
	}
	expand, ok := r.URL.Query()["expand"]
	if !ok {
		writeJSON(w, http.StatusOK, names)
		return nil
	}
	wantStatus, wantInfo := slices.Contains(expand, "status"), slices.Contains(expand, "info")
	out := make(map[string]expanded, len(names))
	for _, name := range names {
		var e expanded
		var info herder.Info
		if wantInfo || wantStatus {
			if info, err = s.h.Connector(ctx, name); err != nil {
				if errors.Is(err, herder.ErrNotFound) {
					continue // deleted while we listed
				}
				return s.herderError(err, "", nil)
			}
		}
		if wantStatus {
			st, err := s.h.Status(name)
			if err != nil {
				if errors.Is(err, herder.ErrNotFound) {
					continue
				}
				return s.herderError(err, "", nil)
			}
			si := stateOf(st, s.opts.workerID, s.pluginVersion(info.Config))
			e.Status = &si
		}
		if wantInfo {
			ci := infoOf(info, s.redactorFor(info.Config).apply(info.Config))
			e.Info = &ci
		}
		out[name] = e
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pluginVersion is the version of the plugin cfg's connector.class names.
func (s *Server) pluginVersion(cfg map[string]string) string {
	p, err := s.plugins.Lookup(cfg[worker.KeyConnectorClass])
	if err != nil {
		return ""
	}
	return p.Version
}

// POST /connectors
func (s *Server) createConnector(w http.ResponseWriter, r *http.Request, _ params) error {
	var req createRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	name := ""
	if req.Name != nil {
		name = strings.TrimSpace(*req.Name)
	}
	if err := checkName(name); err != nil {
		return err
	}
	if req.Config.values == nil {
		return errorf(http.StatusBadRequest, "The request has no config: send {\"name\": %q, \"config\": {\"connector.class\": …}}", name)
	}
	if len(req.Config.nulls) > 0 {
		return errorf(http.StatusBadRequest, "Config value of %q is null: leave the key out instead", req.Config.nulls[0])
	}
	cfg := req.Config.values
	if err := fillName(cfg, name); err != nil {
		return err
	}
	target := store.TargetStarted
	if req.InitialState != nil {
		switch strings.ToUpper(*req.InitialState) {
		case "RUNNING":
		case "PAUSED":
			target = store.TargetPaused
		case "STOPPED":
			target = store.TargetStopped
		default:
			return errorf(http.StatusBadRequest, "Invalid initial_state %q: use RUNNING, PAUSED or STOPPED", *req.InitialState)
		}
	}
	ctx := r.Context()
	// Check and create under one lock, so two creates of one name cannot both
	// succeed: the second gets 409.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := s.h.Connector(ctx, name); err == nil {
		return errorf(http.StatusConflict, "Connector %s already exists", name)
	} else if !errors.Is(err, herder.ErrNotFound) {
		return s.herderError(err, "", nil)
	}
	if _, err := s.h.PutConnector(ctx, name, cfg, target); err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), cfg)
	}
	return s.writeInfo(w, r, name, http.StatusCreated)
}

// writeInfo answers with the connector's ConnectorInfo; with 201 it adds
// Location, an absolute URL as Kafka Connect gives it.
func (s *Server) writeInfo(w http.ResponseWriter, r *http.Request, name string, code int) error {
	info, err := s.h.Connector(r.Context(), name)
	if err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
	}
	if code == http.StatusCreated {
		w.Header().Set("Location", baseURL(r)+"/connectors/"+url.PathEscape(name))
	}
	writeJSON(w, code, infoOf(info, s.redactorFor(info.Config).apply(info.Config)))
	return nil
}

// baseURL is scheme://host of the request, as the client addressed us.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" || strings.ContainsAny(host, "/\\ \"<>") {
		host = "localhost"
	}
	return scheme + "://" + host
}

// checkName refuses names no connector may have: empty, or with control
// characters (which break logs, file stores and terminals).
func checkName(name string) error {
	if name == "" {
		return errorf(http.StatusBadRequest, "Connector name is empty: set \"name\"")
	}
	if i := strings.IndexFunc(name, unicode.IsControl); i >= 0 {
		return errorf(http.StatusBadRequest, "Connector name %s contains the control character %U at offset %d: names may not contain control characters",
			strconv.Quote(name), []rune(name[i:])[0], i)
	}
	return nil
}

// fillName sets cfg's name to the connector's, or refuses a different one.
func fillName(cfg map[string]string, name string) error {
	if n, ok := cfg[worker.KeyName]; ok && n != name {
		return errorf(http.StatusBadRequest, "Connector name configuration (%s) doesn't match connector name in the URL (%s)", n, name)
	}
	cfg[worker.KeyName] = name
	return nil
}

// GET /connectors/{connector}
func (s *Server) getConnector(w http.ResponseWriter, r *http.Request, p params) error {
	return s.writeInfo(w, r, p.get("connector"), http.StatusOK)
}

// DELETE /connectors/{connector}
func (s *Server) deleteConnector(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	if err := s.h.DeleteConnector(r.Context(), name); err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
	}
	noContent(w, http.StatusNoContent)
	return nil
}

// GET /connectors/{connector}/config
func (s *Server) getConfig(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	info, err := s.h.Connector(r.Context(), name)
	if err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
	}
	writeJSON(w, http.StatusOK, s.redactorFor(info.Config).apply(info.Config))
	return nil
}

// PUT /connectors/{connector}/config: create or replace.
func (s *Server) putConfig(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	if err := checkName(name); err != nil {
		return err
	}
	var body configMap
	if err := readJSON(r, &body); err != nil {
		return err
	}
	if body.values == nil {
		return errorf(http.StatusBadRequest, "The request body must be a JSON object of config keys and values")
	}
	if len(body.nulls) > 0 {
		return errorf(http.StatusBadRequest, "Config value of %q is null: leave the key out instead (PATCH removes keys set to null)", body.nulls[0])
	}
	cfg := body.values
	if err := fillName(cfg, name); err != nil {
		return err
	}
	ctx := r.Context()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if old, err := s.h.Connector(ctx, name); err == nil {
		s.redactorFor(cfg).restoreHidden(cfg, old.Config)
	}
	created, err := s.h.PutConnector(ctx, name, cfg, "")
	if err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), cfg)
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	return s.writeInfo(w, r, name, code)
}

// PATCH /connectors/{connector}/config: merge; null removes a key.
func (s *Server) patchConfig(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	var body configMap
	if err := readJSON(r, &body); err != nil {
		return err
	}
	if body.values == nil {
		return errorf(http.StatusBadRequest, "The request body must be a JSON object of config keys and values")
	}
	ctx := r.Context()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	info, err := s.h.Connector(ctx, name)
	if err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
	}
	cfg := maps.Clone(info.Config)
	maps.Copy(cfg, body.values)
	for _, k := range body.nulls {
		delete(cfg, k)
	}
	s.redactorFor(cfg).restoreHidden(cfg, info.Config)
	if err := fillName(cfg, name); err != nil {
		return err
	}
	if _, err := s.h.PutConnector(ctx, name, cfg, ""); err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), cfg)
	}
	return s.writeInfo(w, r, name, http.StatusOK)
}

// GET /connectors/{connector}/status
func (s *Server) getStatus(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	st, err := s.h.Status(name)
	if err != nil {
		return s.herderError(err, fmt.Sprintf("No status found for connector %s", name), nil)
	}
	info := stateOf(st, s.opts.workerID, s.versionOf(r, name))
	if s.opts.freshness != nil {
		if f, ok := s.opts.freshness(name); ok {
			info.Freshness = f
		}
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// versionOf is the plugin version of a connector, "" if unknown.
func (s *Server) versionOf(r *http.Request, name string) string {
	info, err := s.h.Connector(r.Context(), name)
	if err != nil {
		return ""
	}
	return s.pluginVersion(info.Config)
}

// POST /connectors/{connector}/restart[?includeTasks=…&onlyFailed=…]
func (s *Server) restartConnector(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	q := r.URL.Query()
	includeTasks, err := boolParam(q, "includeTasks", false)
	if err != nil {
		return err
	}
	onlyFailed, err := boolParam(q, "onlyFailed", false)
	if err != nil {
		return err
	}
	opt := herder.RestartOptions{IncludeTasks: includeTasks, OnlyFailed: onlyFailed}
	before, err := s.h.Status(name)
	if err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
	}
	if err := s.h.Restart(r.Context(), name, opt); err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
	}
	if !includeTasks && !onlyFailed {
		noContent(w, http.StatusNoContent) // the pre-KIP-745 form
		return nil
	}
	writeJSON(w, http.StatusAccepted, stateOf(restartPlan(before, opt), s.opts.workerID, s.versionOf(r, name)))
	return nil
}

// restartPlan is the status Kafka Connect answers a restart with: the
// instances the restart covers shown as RESTARTING, the others as they were.
func restartPlan(st herder.Status, opt herder.RestartOptions) herder.Status {
	out := st
	out.Tasks = slices.Clone(st.Tasks)
	if !opt.OnlyFailed || st.State == worker.StateFailed {
		out.State, out.Trace = worker.StateRestarting, ""
	}
	if opt.IncludeTasks {
		for i, t := range out.Tasks {
			if !opt.OnlyFailed || t.State == worker.StateFailed {
				out.Tasks[i].State, out.Tasks[i].Trace = worker.StateRestarting, ""
			}
		}
	}
	return out
}

// boolParam parses a true/false query parameter.
func boolParam(q url.Values, key string, def bool) (bool, error) {
	v, ok := q[key]
	if !ok || len(v) == 0 || v[0] == "" {
		return def, nil
	}
	switch strings.ToLower(v[0]) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errorf(http.StatusBadRequest, "Query parameter %s must be true or false, not %q", key, v[0])
}

// PUT /connectors/{connector}/pause
func (s *Server) pauseConnector(w http.ResponseWriter, r *http.Request, p params) error {
	return s.setTarget(w, r, p.get("connector"), store.TargetPaused, http.StatusAccepted)
}

// PUT /connectors/{connector}/resume: from PAUSED or STOPPED.
func (s *Server) resumeConnector(w http.ResponseWriter, r *http.Request, p params) error {
	return s.setTarget(w, r, p.get("connector"), store.TargetStarted, http.StatusAccepted)
}

// PUT /connectors/{connector}/stop
func (s *Server) stopConnector(w http.ResponseWriter, r *http.Request, p params) error {
	return s.setTarget(w, r, p.get("connector"), store.TargetStopped, http.StatusNoContent)
}

func (s *Server) setTarget(w http.ResponseWriter, r *http.Request, name string, t store.TargetState, code int) error {
	if err := s.h.SetTarget(r.Context(), name, t); err != nil {
		return s.herderError(err, fmt.Sprintf("Unknown connector %s", name), nil)
	}
	noContent(w, code)
	return nil
}
