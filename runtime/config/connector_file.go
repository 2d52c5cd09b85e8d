package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// ConnectorFile is a connector config read from a file.
type ConnectorFile struct {
	Name   string
	Config map[string]string // always contains "name"
	// InitialState is the JSON body's "initial_state" (KIP-980): RUNNING,
	// PAUSED or STOPPED, upper-cased; empty when the file does not say.
	InitialState string
}

// LoadConnectorFile reads a connector config the way connect-standalone
// does, and returns its name and config (which contains "name"). See
// LoadConnector for the formats; it drops LoadConnector's InitialState.
func LoadConnectorFile(path string) (name string, cfg map[string]string, err error) {
	c, err := LoadConnector(path)
	if err != nil {
		return "", nil, err
	}
	return c.Name, c.Config, nil
}

// LoadConnector reads a connector config file. A file whose name ends in
// .json, or whose first non-blank byte is '{', is JSON; anything else is
// Java .properties with the name in the "name" key.
//
// JSON comes in the two shapes connect-standalone accepts:
//
//	{"name": "orders-es", "config": {"connector.class": "…", …}, "initial_state": "PAUSED"}
//	{"name": "orders-es", "connector.class": "…", …}
//
// In the first, other top-level fields (the "tasks" and "type" of a saved
// GET /connectors/{name} response) are ignored, and a "name" inside config
// must match the outer one. Config values may be strings, numbers or
// booleans; numbers keep their JSON text ("1.0" stays "1.0"). The name is
// trimmed, as the REST API does, must not be empty and must not contain
// control characters.
func LoadConnector(path string) (ConnectorFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ConnectorFile{}, fmt.Errorf("load connector config: %w", err)
	}
	var c ConnectorFile
	if isJSON(path, data) {
		c, err = parseConnectorJSON(data)
	} else {
		c, err = parseConnectorProperties(data)
	}
	if err != nil {
		if se, ok := errors.AsType[*SyntaxError](err); ok {
			se.File = path
			return ConnectorFile{}, se
		}
		return ConnectorFile{}, fmt.Errorf("load connector config %s: %w", path, err)
	}
	return c, nil
}

func isJSON(path string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return true
	case ".properties":
		return false
	}
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{"))
}

func parseConnectorProperties(data []byte) (ConnectorFile, error) {
	m, err := ReadProperties(bytes.NewReader(data))
	if err != nil {
		return ConnectorFile{}, err
	}
	name, err := connectorName(m["name"])
	if err != nil {
		return ConnectorFile{}, err
	}
	m["name"] = name
	return ConnectorFile{Name: name, Config: m}, nil
}

func parseConnectorJSON(data []byte) (ConnectorFile, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return ConnectorFile{}, jsonSyntaxError(data, err)
	}
	raw, wrapped := top["config"]
	if wrapped && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		wrapped = false // a flat config whose own key is "config"
	}
	if !wrapped {
		cfg, err := stringMap(data)
		if err != nil {
			return ConnectorFile{}, err
		}
		name, err := connectorName(cfg["name"])
		if err != nil {
			return ConnectorFile{}, err
		}
		cfg["name"] = name
		return ConnectorFile{Name: name, Config: cfg}, nil
	}

	var body struct {
		Name         *string `json:"name"`
		InitialState *string `json:"initial_state"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return ConnectorFile{}, fmt.Errorf(`"name" and "initial_state" must be strings: %w`, err)
	}
	cfg, err := stringMap(raw)
	if err != nil {
		return ConnectorFile{}, err
	}
	var outer string
	if body.Name != nil {
		outer = *body.Name
	} else {
		outer = cfg["name"]
	}
	name, err := connectorName(outer)
	if err != nil {
		return ConnectorFile{}, err
	}
	if inner, ok := cfg["name"]; ok && strings.TrimSpace(inner) != name {
		return ConnectorFile{}, fmt.Errorf("config.name %q does not match name %q: make them equal or drop config.name", inner, name)
	}
	cfg["name"] = name
	c := ConnectorFile{Name: name, Config: cfg}
	if body.InitialState != nil {
		switch s := strings.ToUpper(strings.TrimSpace(*body.InitialState)); s {
		case "RUNNING", "PAUSED", "STOPPED":
			c.InitialState = s
		default:
			return ConnectorFile{}, fmt.Errorf("initial_state %q: must be RUNNING, PAUSED or STOPPED", *body.InitialState)
		}
	}
	return c, nil
}

// stringMap decodes a JSON object whose values are strings, numbers or
// booleans into strings.
func stringMap(data []byte) (map[string]string, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, jsonSyntaxError(data, err)
	}
	out := make(map[string]string, len(m))
	var bad []string
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			if v {
				out[k] = "true"
			} else {
				out[k] = "false"
			}
		default:
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("config values must be strings, numbers or booleans (write lists as \"a,b\"); not so for %s", strings.Join(bad, ", "))
	}
	return out, nil
}

func connectorName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", errors.New(`connector name is missing: set "name"`)
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return "", fmt.Errorf("connector name %q contains control characters", name)
	}
	return name, nil
}

// jsonSyntaxError turns a decoder error into a *SyntaxError with a line
// number when the decoder reports an offset.
func jsonSyntaxError(data []byte, err error) error {
	var off int64 = -1
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		off = se.Offset
	} else if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		off = te.Offset
	}
	if off < 0 {
		return &SyntaxError{Msg: "invalid JSON: " + err.Error()}
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return &SyntaxError{Line: 1 + bytes.Count(data[:off], []byte("\n")), Msg: "invalid JSON: " + err.Error()}
}
