package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	pb "github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// Host finds connector plugins and runs them in their own processes.
type Host struct {
	log  *zap.Logger
	opts options

	mu      sync.Mutex
	plugins []sdk.Plugin // found by the last Rescan
}

// New returns a host. It starts nothing: call Rescan to find the plugins in
// plugin.path.
func New(log *zap.Logger, opts ...Option) (*Host, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Host{log: log, opts: o}, nil
}

// Plugins returns the plugins the last Rescan found, sorted by name.
func (h *Host) Plugins() []sdk.Plugin {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Plugin(nil), h.plugins...)
}

// Rescan finds the executables in plugin.path and describes each. It
// returns every plugin found, and an error joining one problem per
// executable it refused or could not describe (a checksum that does not
// match, a protocol version this worker does not speak, a crash); the
// others are found all the same. The plugins replace those of the last
// Rescan.
func (h *Host) Rescan(ctx context.Context) ([]sdk.Plugin, error) {
	var found []sdk.Plugin
	var errs []error
	seen := map[string]string{} // plugin name → executable
	for _, bin := range h.executables(&errs) {
		ps, err := h.Load(ctx, Command{Path: bin, Verify: true})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, p := range ps {
			if other, dup := seen[p.Name]; dup {
				errs = append(errs, fmt.Errorf("plugin %s: connector %s is also in %s; ignoring this one", bin, p.Name, other))
				continue
			}
			seen[p.Name] = bin
			found = append(found, p)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	h.mu.Lock()
	h.plugins = found
	h.mu.Unlock()
	for _, p := range found {
		h.log.Info("plugin found", zap.String("plugin", p.Name), zap.String("version", p.Version), zap.String("kind", string(p.Kind)))
	}
	return found, errors.Join(errs...)
}

// executables lists the executable files directly in the plugin.path
// directories, skipping hidden files.
func (h *Host) executables(errs *[]error) []string {
	var out []string
	for _, dir := range h.opts.path {
		entries, err := os.ReadDir(dir)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %w", KeyPath, err))
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			path := filepath.Join(dir, e.Name())
			fi, err := os.Stat(path) // follows links
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
				continue
			}
			abs, err := filepath.Abs(path)
			if err != nil {
				abs = path
			}
			out = append(out, abs)
		}
	}
	return out
}

// Load starts the executable cmd, describes the connectors it carries, and
// stops it. The plugins it returns start a process of cmd for each
// connector instance and task.
func (h *Host) Load(ctx context.Context, cmd Command) ([]sdk.Plugin, error) {
	p, err := h.launch(ctx, filepath.Base(cmd.Path), cmd)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	resp, err := p.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		if decoded, ok := pb.FromStatus(err); ok {
			err = decoded
		}
		return nil, fmt.Errorf("describe plugin %s: %w", cmd, err)
	}
	var out []sdk.Plugin
	var errs []error
	for _, m := range resp.Connectors {
		pl, err := h.described(cmd, m)
		if err != nil {
			errs = append(errs, fmt.Errorf("plugin %s: connector %q: %w", cmd, m.Name, err))
			continue
		}
		out = append(out, pl)
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("plugin %s describes no connector", cmd))
	}
	return out, errors.Join(errs...)
}

// described makes the plugin a description stands for.
func (h *Host) described(cmd Command, m *pb.Connector) (sdk.Plugin, error) {
	kind := m.PluginKind()
	if m.Name == "" || kind == "" {
		return sdk.Plugin{}, errors.New("a connector needs a name and a kind (source or sink)")
	}
	def, err := pb.ConfigDef(m.Config)
	if err != nil {
		return sdk.Plugin{}, err
	}
	return sdk.Plugin{
		Name: m.Name, Aliases: m.Aliases, Version: m.Version, Kind: kind, Doc: m.Doc, Config: def,
		New: h.factory(m.Name, kind, cmd),
	}, nil
}

// Isolate returns p running in its own processes, started with cmd (see
// ServeCommand): the same name, version, kind and config definition, and a
// New whose connector and tasks each run in a process of their own, are
// restarted when it crashes, and report the crash. It starts nothing
// itself, so the caller may call it whenever it looks a plugin up.
//
// The config definition loses its validators, as a discovered plugin's
// does: the connector's Validate runs them in the plugin process, so each
// problem is reported once.
func (h *Host) Isolate(p sdk.Plugin, cmd Command) sdk.Plugin {
	out := p
	if p.Config != nil {
		out.Config = pb.StripValidators(p.Config)
	}
	out.New = h.factory(p.Name, p.Kind, cmd)
	return out
}

// ServeCommand returns the command that serves the built-in connector name
// from this executable: `freshet plugin serve NAME`.
func ServeCommand(name string) (Command, error) {
	exe, err := os.Executable()
	if err != nil {
		return Command{}, fmt.Errorf("find the freshet executable: %w", err)
	}
	return Command{Path: exe, Args: []string{"plugin", "serve", name}}, nil
}

func (h *Host) factory(name string, kind sdk.Kind, cmd Command) func() sdk.Connector {
	return func() sdk.Connector {
		c := &connector{h: h, name: name, kind: kind, cmd: cmd, sup: h.supervise(name, cmd)}
		if kind == sdk.KindSink {
			return sinkConnector{c}
		}
		return sourceConnector{c}
	}
}
