//go:build !linux

package host

import "os"

// newShared makes no region: shared memory is for Linux; elsewhere chunks
// travel inline.
func newShared(int) (*os.File, []byte, error) { return nil, nil, nil }

func unmapShared([]byte) {}
