package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// FileOffsets is the Offsets of standalone mode: one JSON file, rewritten
// atomically (see doc.go for the format) whenever a Put or DeleteAll changes
// something.
type FileOffsets struct {
	core  offsetCore
	path  string
	write writeFunc
}

// NewFileOffsets opens the offsets file at path, loading it if it exists. A
// file that cannot be parsed is a *CorruptError naming it; it is never
// silently reset. The directory must exist; the file is created by the first
// write. Temporary files left by a crashed write are removed.
func NewFileOffsets(path string) (*FileOffsets, error) {
	data, exists, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("open offsets file: %w", err)
	}
	table := offsetTable{}
	if exists {
		if table, err = decodeOffsetsFile(data); err != nil {
			return nil, &CorruptError{Path: path, Err: err}
		}
	}
	s := &FileOffsets{path: path, write: writeFile}
	s.core = offsetCore{table: table, persist: s.persist}
	return s, nil
}

func (s *FileOffsets) persist(t offsetTable, connector string, next map[string][]byte) error {
	return s.write(s.path, encodeOffsetsFile(t, connector, next))
}

// Get implements Offsets.
func (s *FileOffsets) Get(ctx context.Context, connector string, partition map[string]any) (map[string]any, error) {
	return s.core.get(ctx, connector, partition)
}

// Put implements Offsets. It rewrites the file only when an offset changed.
func (s *FileOffsets) Put(ctx context.Context, connector string, positions []sdk.Position) error {
	return s.core.put(ctx, connector, positions)
}

// All implements Offsets.
func (s *FileOffsets) All(ctx context.Context, connector string) ([]sdk.Position, error) {
	return s.core.all(ctx, connector)
}

// DeleteAll implements Offsets.
func (s *FileOffsets) DeleteAll(ctx context.Context, connector string) error {
	return s.core.deleteAll(ctx, connector)
}

// Sync implements Syncer. The file has a single writer, this store, so its
// view is always current.
func (s *FileOffsets) Sync(ctx context.Context) error { return s.core.sync(ctx) }

// Close makes later calls return ErrClosed. Every successful write is already
// durable, so Close has nothing to flush. It is idempotent.
func (s *FileOffsets) Close() error {
	s.core.close()
	return nil
}

// encodeOffsetsFile renders the table, with the connector's entries replaced
// by next, one entry per line:
//
//	{
//	  "version": 1,
//	  "offsets": {
//	    "file-source": [
//	      {"partition": {"filename":"/tmp/a.txt"}, "offset": {"position":30}}
//	    ]
//	  }
//	}
func encodeOffsetsFile(t offsetTable, connector string, next map[string][]byte) []byte {
	names := make([]string, 0, len(t)+1)
	for name := range t {
		if name != connector {
			names = append(names, name)
		}
	}
	if next != nil {
		names = append(names, connector)
	}
	slices.Sort(names)

	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"version\": %d,\n  \"offsets\": {", fileVersion)
	for i, name := range names {
		entries := t[name]
		if name == connector {
			entries = next
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		b.Write(appendString(nil, name))
		b.WriteString(": [")
		for j, k := range slices.Sorted(maps.Keys(entries)) {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n      {\"partition\": ")
			b.WriteString(k)
			b.WriteString(", \"offset\": ")
			b.Write(entries[k])
			b.WriteByte('}')
		}
		b.WriteString("\n    ]")
	}
	if len(names) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("}\n}\n")
	return b.Bytes()
}

// decodeOffsetsFile parses an offsets file and canonicalises its entries, so
// that a hand-edited file keys partitions as Put does.
func decodeOffsetsFile(data []byte) (offsetTable, error) {
	if err := checkVersion(data); err != nil {
		return nil, err
	}
	var f struct {
		Version int `json:"version"`
		Offsets map[string][]struct {
			Partition json.RawMessage `json:"partition"`
			Offset    json.RawMessage `json:"offset"`
		} `json:"offsets"`
	}
	if err := decodeStrict(data, &f); err != nil {
		return nil, err
	}
	t := offsetTable{}
	for name, list := range f.Offsets {
		if name == "" {
			return nil, fmt.Errorf("empty connector name")
		}
		if len(list) == 0 {
			continue
		}
		entries := make(map[string][]byte, len(list))
		for i, e := range list {
			p, err := recode(e.Partition)
			if err != nil {
				return nil, fmt.Errorf("connector %q: entry %d: partition: %w", name, i, err)
			}
			o, err := recode(e.Offset)
			if err != nil {
				return nil, fmt.Errorf("connector %q: entry %d: offset: %w", name, i, err)
			}
			if _, dup := entries[string(p)]; dup {
				return nil, fmt.Errorf("connector %q: entry %d: duplicate partition %s", name, i, p)
			}
			entries[string(p)] = o
		}
		t[name] = entries
	}
	return t, nil
}

// recode returns the canonical form of a JSON partition or offset map.
func recode(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("missing")
	}
	m, err := decodeFlat(raw)
	if err != nil {
		return nil, err
	}
	return encodeFlat(m)
}

// checkVersion reads only the version, so that a file from a newer Freshet
// reports its version instead of an unknown field.
func checkVersion(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("empty file")
	}
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if v.Version != fileVersion {
		return fmt.Errorf("unsupported version %d (this Freshet reads version %d)", v.Version, fileVersion)
	}
	return nil
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown
// fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the top-level object")
	}
	return nil
}
