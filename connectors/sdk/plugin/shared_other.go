//go:build !linux

package plugin

// mapShared maps no region: hosts pass one only on Linux.
func mapShared(string) ([]byte, error) { return nil, nil }
