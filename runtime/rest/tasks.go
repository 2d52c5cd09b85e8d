package rest

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// GET /connectors/{connector}/tasks
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("connector")
	info, err := s.h.Connector(r.Context(), name)
	if err != nil {
		return s.herderError(err, fmt.Sprintf("Connector %s not found", name), nil)
	}
	out := []taskInfo{}
	if info.Target != store.TargetStopped {
		red := s.redactorFor(info.Config)
		for i, cfg := range info.TaskConfigs {
			out = append(out, taskInfo{ID: taskID{Connector: name, Task: i}, Config: red.apply(cfg)})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// taskParam parses the {task} path segment; JAX-RS answers a non-number
// with 404, and so do we.
func taskParam(p params) (worker.TaskID, error) {
	name := p.get("connector")
	n, err := strconv.Atoi(p.get("task"))
	if err != nil || n < 0 {
		return worker.TaskID{}, errorf(http.StatusNotFound, "Task %s-%s not found: task ids are numbers from 0", name, p.get("task"))
	}
	return worker.TaskID{Connector: name, Task: n}, nil
}

// GET /connectors/{connector}/tasks/{task}/status
func (s *Server) taskStatus(w http.ResponseWriter, r *http.Request, p params) error {
	id, err := taskParam(p)
	if err != nil {
		return err
	}
	notFound := fmt.Sprintf("No status found for task %s", id)
	st, err := s.h.Status(id.Connector)
	if err != nil {
		return s.herderError(err, notFound, nil)
	}
	for _, t := range stateOf(st, s.opts.workerID, s.versionOf(r, id.Connector)).Tasks {
		if t.ID == id.Task {
			writeJSON(w, http.StatusOK, t)
			return nil
		}
	}
	return errorf(http.StatusNotFound, "%s", notFound)
}

// POST /connectors/{connector}/tasks/{task}/restart
func (s *Server) restartTask(w http.ResponseWriter, r *http.Request, p params) error {
	id, err := taskParam(p)
	if err != nil {
		return err
	}
	if err := s.h.RestartTask(r.Context(), id); err != nil {
		return s.herderError(err, fmt.Sprintf("Task %s not found", id), nil)
	}
	noContent(w, http.StatusNoContent)
	return nil
}
