package herder

import (
	"sync"

	"github.com/freshet-dev/freshet/runtime/store"
)

// extensions is the state behind the REST endpoints that came after the
// lifecycle core: offsets management (offsets.go) and topic tracking
// (topics.go). Its mutex is a leaf: taken after ops and mu, never before.
type extensions struct {
	mu     sync.Mutex
	source store.Offsets              // source positions; nil: not available
	sink   GroupOffsets               // sink consumer groups; nil: not available
	topics map[string]map[string]bool // connector → topics it used
}
