package rest

import (
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/herder"
	"github.com/freshet-dev/freshet/runtime/store"
)

// The JSON shapes of Kafka Connect's REST entities
// (org.apache.kafka.connect.runtime.rest.entities), field for field and in
// Kafka Connect's order.

// serverInfo is GET /.
type serverInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

// healthBody is GET /health.
type healthBody struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// connectorInfo is ConnectorInfo.
type connectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []taskID          `json:"tasks"`
	Type   string            `json:"type"`
}

// taskID is ConnectorTaskId.
type taskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

// taskInfo is TaskInfo, an element of GET /connectors/{name}/tasks.
type taskInfo struct {
	ID     taskID            `json:"id"`
	Config map[string]string `json:"config"`
}

// stateInfo is ConnectorStateInfo.
type stateInfo struct {
	Name      string         `json:"name"`
	Connector connectorState `json:"connector"`
	Tasks     []taskState    `json:"tasks"`
	Type      string         `json:"type"`
	Freshness any            `json:"freshness,omitempty"` // ours: p50/p99 and the budget
}

// connectorState is ConnectorStateInfo.ConnectorState.
type connectorState struct {
	State    string  `json:"state"`
	WorkerID string  `json:"worker_id"`
	Version  *string `json:"version"`
	Trace    string  `json:"trace,omitempty"`
}

// taskState is ConnectorStateInfo.TaskState.
type taskState struct {
	ID       int     `json:"id"`
	State    string  `json:"state"`
	WorkerID string  `json:"worker_id"`
	Version  *string `json:"version"`
	Trace    string  `json:"trace,omitempty"`
}

// expanded is one value of GET /connectors?expand=….
type expanded struct {
	Status *stateInfo     `json:"status,omitempty"`
	Info   *connectorInfo `json:"info,omitempty"`
}

// pluginInfo is PluginInfo. Aliases is ours: the other names
// connector.class accepts for this plugin.
type pluginInfo struct {
	Class   string   `json:"class"`
	Type    string   `json:"type"`
	Version string   `json:"version,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
}

// configKeyInfo is ConfigKeyInfo.
type configKeyInfo struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         *string  `json:"group"`
	OrderInGroup  int      `json:"order_in_group"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
}

// configValueInfo is ConfigValueInfo.
type configValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// configInfo is ConfigInfo: one key's definition and value.
type configInfo struct {
	Definition configKeyInfo   `json:"definition"`
	Value      configValueInfo `json:"value"`
}

// configInfos is ConfigInfos, the validate response.
type configInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []configInfo `json:"configs"`
}

// offsetsBody is ConnectorOffsets.
type offsetsBody struct {
	Offsets []offsetEntry `json:"offsets"`
}

type offsetEntry struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// messageBody is Message.
type messageBody struct {
	Message string `json:"message"`
}

// loggerLevel is LoggerLevel.
type loggerLevel struct {
	Level        string `json:"level"`
	LastModified *int64 `json:"last_modified"`
}

// topicsBody is ActiveTopicsInfo, keyed by connector name.
type topicsBody struct {
	Topics []string `json:"topics"`
}

func kindName(k sdk.Kind) string {
	if k == "" {
		return "unknown"
	}
	return string(k)
}

// stateOf converts a herder status to ConnectorStateInfo. version is the
// connector plugin's version ("" if unknown).
func stateOf(st herder.Status, workerID, version string) stateInfo {
	var v *string
	if version != "" {
		v = &version
	}
	wid := func(id string) string {
		if id == "" {
			return workerID
		}
		return id
	}
	out := stateInfo{
		Name:      st.Name,
		Connector: connectorState{State: string(st.State), WorkerID: wid(st.WorkerID), Version: v, Trace: st.Trace},
		Tasks:     make([]taskState, 0, len(st.Tasks)),
		Type:      kindName(st.Kind),
	}
	for _, t := range st.Tasks {
		out.Tasks = append(out.Tasks, taskState{ID: t.ID, State: string(t.State), WorkerID: wid(t.WorkerID), Version: v, Trace: t.Trace})
	}
	return out
}

// infoOf converts herder info to ConnectorInfo, config already redacted. A
// STOPPED connector has no tasks, as in Kafka Connect, which writes an empty
// task set when it stops one.
func infoOf(in herder.Info, cfg map[string]string) connectorInfo {
	out := connectorInfo{Name: in.Name, Config: cfg, Tasks: []taskID{}, Type: kindName(in.Kind)}
	if in.Target == store.TargetStopped {
		return out
	}
	for _, t := range in.Tasks {
		out.Tasks = append(out.Tasks, taskID{Connector: t.Connector, Task: t.Task})
	}
	return out
}
