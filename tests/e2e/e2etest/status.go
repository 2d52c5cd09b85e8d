package e2etest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ConnectorStatus is Kafka Connect's GET /connectors/{name}/status.
type ConnectorStatus struct {
	Name      string      `json:"name"`
	Connector StateInfo   `json:"connector"`
	Tasks     []TaskState `json:"tasks"`
	Type      string      `json:"type"`
}

// StateInfo is the state of a connector or a task.
type StateInfo struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// TaskState is the state of one task of a connector.
type TaskState struct {
	ID int `json:"id"`
	StateInfo
}

func (s ConnectorStatus) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Status fetches a connector's status; err is set when the worker does not
// answer, or answers anything but 200.
func (w *Worker) Status(name string) (ConnectorStatus, error) {
	var st ConnectorStatus
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(w.URL + "/connectors/" + name + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return st, err
	}
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET status: %s: %s", resp.Status, body)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("GET status: %w: %s", err, body)
	}
	return st, nil
}

// WaitRunning waits until the connector and all its tasks (at least one)
// run, and returns that status.
func (w *Worker) WaitRunning(name string, timeout time.Duration) ConnectorStatus {
	w.t.Helper()
	var st ConnectorStatus
	w.WaitFor(timeout, "connector "+name+" and its tasks to be RUNNING", func() (bool, string) {
		var err error
		st, err = w.Status(name)
		if err != nil {
			return false, err.Error()
		}
		if st.Connector.State != "RUNNING" || len(st.Tasks) == 0 {
			return false, st.String()
		}
		for _, task := range st.Tasks {
			if task.State != "RUNNING" {
				return false, st.String()
			}
		}
		return true, ""
	})
	return st
}
