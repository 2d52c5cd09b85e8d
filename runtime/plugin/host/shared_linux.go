package host

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// newShared makes a shared memory region of n bytes for a plugin process
// (protocol version 2): an anonymous memory file, to pass to the process,
// and the host's read-write mapping of it. Only the process it is passed to
// can reach it.
func newShared(n int) (*os.File, []byte, error) {
	fd, err := unix.MemfdCreate("freshet-plugin", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("shared memory: %w", err)
	}
	f := os.NewFile(uintptr(fd), "freshet-plugin-shared")
	if err := unix.Ftruncate(fd, int64(n)); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("shared memory: %w", err)
	}
	mem, err := unix.Mmap(fd, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("shared memory: %w", err)
	}
	return f, mem, nil
}

// unmapShared releases a mapping newShared made.
func unmapShared(mem []byte) { _ = unix.Munmap(mem) }
