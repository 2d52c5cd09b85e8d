package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fileVersion is the version of the file formats written by this package.
const fileVersion = 1

// writeFunc replaces a file's contents; FileConfigs and FileOffsets hold one
// so that tests can simulate a crash in the middle of a write.
type writeFunc func(path string, data []byte) error

// tempPrefix is the name prefix of the temporary files written next to path.
func tempPrefix(path string) string {
	return "." + filepath.Base(path) + ".tmp-"
}

// writeFile replaces path with data atomically and durably: it writes a
// temporary file in the same directory, fsyncs it, renames it over path and
// fsyncs the directory. A crash at any point leaves either the old or the new
// file at path, and possibly a stray temporary file, which openFile removes.
func writeFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// readFile returns the contents of path, and false when it does not exist yet.
// It removes temporary files left by a crashed write, and checks that the
// directory exists, so that a bad path fails when the store opens rather than
// at its first write.
func readFile(path string) ([]byte, bool, error) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, err
	}
	prefix := tempPrefix(path)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return nil, false, fmt.Errorf("remove stale temporary file: %w", err)
			}
		}
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}
