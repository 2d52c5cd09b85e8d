package plugin

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// ErrUnknownPlugin is returned by Lookup for a name no plugin answers to.
var ErrUnknownPlugin = errors.New("unknown connector class")

// Registry holds connector plugins by name and alias.
type Registry struct {
	mu      sync.RWMutex
	plugins []sdk.Plugin
	byName  map[string]int
}

// NewRegistry returns a registry holding plugins, or an error if two of them
// claim the same name or alias, or one is incomplete.
func NewRegistry(plugins ...sdk.Plugin) (*Registry, error) {
	r := &Registry{byName: map[string]int{}}
	var errs []error
	for _, p := range plugins {
		errs = append(errs, r.Register(p))
	}
	return r, errors.Join(errs...)
}

// Register adds a plugin.
func (r *Registry) Register(p sdk.Plugin) error {
	switch {
	case p.Name == "":
		return errors.New("register plugin: empty name")
	case p.New == nil:
		return fmt.Errorf("register plugin %s: no constructor", p.Name)
	case p.Kind != sdk.KindSink && p.Kind != sdk.KindSource:
		return fmt.Errorf("register plugin %s: kind %q is neither source nor sink", p.Name, p.Kind)
	}
	if p.Config == nil {
		p.Config = sdk.NewConfigDef()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	names := append([]string{p.Name}, p.Aliases...)
	for _, n := range names {
		if i, dup := r.byName[strings.ToLower(n)]; dup {
			return fmt.Errorf("register plugin %s: name %q is already taken by %s", p.Name, n, r.plugins[i].Name)
		}
	}
	for _, n := range names {
		r.byName[strings.ToLower(n)] = len(r.plugins)
	}
	r.plugins = append(r.plugins, p)
	return nil
}

// Has reports whether a plugin is registered under name.
func (r *Registry) Has(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.byName[strings.ToLower(name)]
	return ok
}

// Lookup finds a plugin by name or alias, case-insensitively. Kafka Connect
// also accepts a class's simple name and the name without "Connector"; so do
// we for the aliases we list.
func (r *Registry) Lookup(class string) (sdk.Plugin, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c := strings.ToLower(strings.TrimSpace(class))
	if i, ok := r.byName[c]; ok {
		return r.plugins[i], nil
	}
	if i, ok := r.byName[strings.TrimSuffix(c, "connector")]; ok && c != "" {
		return r.plugins[i], nil
	}
	var names []string
	for _, p := range r.plugins {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return sdk.Plugin{}, fmt.Errorf("%w %q: available plugins are %s (their Kafka Connect class names work too; GET /connector-plugins lists them)",
		ErrUnknownPlugin, class, strings.Join(names, ", "))
}

// Plugins returns every plugin, sorted by name.
func (r *Registry) Plugins() []sdk.Plugin {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := append([]sdk.Plugin(nil), r.plugins...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
