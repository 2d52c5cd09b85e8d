package host

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// readChecksums parses a file of `sha256sum` lines: "<hex>  <name>" or
// "<hex> *<name>". Blank lines and lines starting with # are skipped. Names
// are reduced to their base name.
func readChecksums(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", KeyChecksums, err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := strings.Cut(line, " ")
		name = strings.TrimPrefix(strings.TrimLeft(name, " "), "*")
		sum = strings.ToLower(sum)
		if b, err := hex.DecodeString(sum); !ok || err != nil || len(b) != sha256.Size || name == "" {
			return nil, fmt.Errorf("%s line %d: want \"<sha256 hex>  <name>\", got %q", file, n, line)
		}
		out[filepath.Base(name)] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return out, nil
}

// fileSHA256 returns the hex SHA-256 of a file.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verify checks binary against the checksum file; an empty file name
// verifies nothing.
func verify(file, binary string) error {
	if file == "" {
		return nil
	}
	sums, err := readChecksums(file)
	if err != nil {
		return err
	}
	got, err := fileSHA256(binary)
	if err != nil {
		return fmt.Errorf("verify plugin: %w", err)
	}
	want := sums[filepath.Base(binary)]
	if got != want {
		return &ChecksumError{Binary: binary, File: file, Got: got, Want: want}
	}
	return nil
}

// Verify checks binary against a plugin.checksums file, as the host does
// before it starts a discovered plugin. It returns a *ChecksumError when the
// file does not list the binary or lists another hash.
func Verify(checksums, binary string) error { return verify(checksums, binary) }
