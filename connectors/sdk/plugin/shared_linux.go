package plugin

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// mapShared maps, read-only, the shared memory region the host describes in
// FRESHET_PLUGIN_SHARED_MEMORY ("<fd>:<bytes>"); an empty description is no
// region.
func mapShared(desc string) ([]byte, error) {
	if desc == "" {
		return nil, nil
	}
	fdText, sizeText, ok := strings.Cut(desc, ":")
	fd, err1 := strconv.Atoi(fdText)
	size, err2 := strconv.Atoi(sizeText)
	if !ok || err1 != nil || err2 != nil || fd < 3 || size <= 0 {
		return nil, fmt.Errorf("map shared memory: malformed description %q", desc)
	}
	region, err := syscall.Mmap(fd, 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map shared memory: %w", err)
	}
	// The mapping keeps the memory; the descriptor is no longer needed.
	_ = os.NewFile(uintptr(fd), "shared").Close()
	return region, nil
}
