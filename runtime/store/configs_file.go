package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// FileConfigs is the Configs of standalone mode: one JSON file, rewritten
// atomically (see doc.go for the format) on every Put and Delete.
type FileConfigs struct {
	core  configCore
	path  string
	write writeFunc
}

// NewFileConfigs opens the configs file at path, loading it if it exists. A
// file that cannot be parsed is a *CorruptError naming it; it is never
// silently reset. The directory must exist; the file is created by the first
// write. Temporary files left by a crashed write are removed.
func NewFileConfigs(path string) (*FileConfigs, error) {
	data, exists, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("open configs file: %w", err)
	}
	m := map[string]Connector{}
	if exists {
		if m, err = decodeConfigsFile(data); err != nil {
			return nil, &CorruptError{Path: path, Err: err}
		}
	}
	s := &FileConfigs{path: path, write: writeFile}
	s.core = configCore{m: m, persist: s.persist}
	return s, nil
}

func (s *FileConfigs) persist(next map[string]Connector) error {
	data, err := encodeConfigsFile(next)
	if err != nil {
		return err
	}
	return s.write(s.path, data)
}

// List implements Configs.
func (s *FileConfigs) List(ctx context.Context) ([]Connector, error) { return s.core.list(ctx) }

// Get implements Configs.
func (s *FileConfigs) Get(ctx context.Context, name string) (Connector, bool, error) {
	return s.core.get(ctx, name)
}

// Put implements Configs.
func (s *FileConfigs) Put(ctx context.Context, c Connector) error { return s.core.put(ctx, c) }

// Delete implements Configs.
func (s *FileConfigs) Delete(ctx context.Context, name string) error {
	return s.core.delete(ctx, name)
}

// Sync implements Syncer. The file has a single writer, this store, so its
// view is always current.
func (s *FileConfigs) Sync(ctx context.Context) error { return s.core.sync(ctx) }

// Close makes later calls return ErrClosed. Every successful write is already
// durable, so Close has nothing to flush. It is idempotent.
func (s *FileConfigs) Close() error {
	s.core.close()
	return nil
}

// configsFile is the JSON form of the configs file.
type configsFile struct {
	Version    int             `json:"version"`
	Connectors []connectorJSON `json:"connectors"`
}

type connectorJSON struct {
	Name   string              `json:"name"`
	Config map[string]string   `json:"config"`
	Target TargetState         `json:"target"`
	Tasks  []map[string]string `json:"tasks"`
}

func encodeConfigsFile(m map[string]Connector) ([]byte, error) {
	f := configsFile{Version: fileVersion, Connectors: make([]connectorJSON, 0, len(m))}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		c := m[name]
		j := connectorJSON{Name: c.Name, Config: c.Config, Target: c.Target, Tasks: c.Tasks}
		if j.Tasks == nil {
			j.Tasks = []map[string]string{}
		}
		f.Connectors = append(f.Connectors, j)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep URLs with & readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode configs: %w", err)
	}
	return b.Bytes(), nil
}

func decodeConfigsFile(data []byte) (map[string]Connector, error) {
	if err := checkVersion(data); err != nil {
		return nil, err
	}
	var f configsFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, err
	}
	m := make(map[string]Connector, len(f.Connectors))
	for i, j := range f.Connectors {
		if j.Name == "" {
			return nil, fmt.Errorf("connector %d: empty name", i)
		}
		if !j.Target.valid() {
			return nil, fmt.Errorf("connector %q: target state %q (want STARTED, PAUSED or STOPPED)", j.Name, j.Target)
		}
		if _, dup := m[j.Name]; dup {
			return nil, fmt.Errorf("connector %q: listed twice", j.Name)
		}
		m[j.Name] = cloneConnector(Connector{Name: j.Name, Config: j.Config, Target: j.Target, Tasks: j.Tasks})
	}
	return m, nil
}
