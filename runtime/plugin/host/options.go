package host

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Option configures a Host.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	path          []string
	checksums     string
	restartMax    int
	restartWindow time.Duration
	backoffMin    time.Duration
	backoffMax    time.Duration
	startTimeout  time.Duration
	tailLines     int
}

func defaultOptions() options {
	return options{
		restartMax:    DefaultRestartMax,
		restartWindow: DefaultRestartWindow,
		backoffMin:    250 * time.Millisecond,
		backoffMax:    30 * time.Second,
		startTimeout:  30 * time.Second,
		tailLines:     8,
	}
}

func (o options) validate() error {
	var errs []error
	if o.restartMax < 0 {
		errs = append(errs, fmt.Errorf("%s must not be negative", KeyRestartMax))
	}
	if o.restartWindow <= 0 {
		errs = append(errs, fmt.Errorf("%s must be positive", KeyRestartWindow))
	}
	if o.backoffMin <= 0 || o.backoffMax < o.backoffMin {
		errs = append(errs, errors.New("plugin restart backoff: want 0 < initial ≤ max"))
	}
	if o.startTimeout <= 0 {
		errs = append(errs, errors.New("plugin start timeout must be positive"))
	}
	return errors.Join(errs...)
}

// WithPath sets the directories Rescan searches for plugin executables
// (plugin.path).
func WithPath(dirs ...string) Option {
	return optionFunc(func(o *options) { o.path = append([]string(nil), dirs...) })
}

// WithChecksums makes every plugin executable run only if its SHA-256 is
// the one file lists for its name (plugin.checksums). The file holds
// `sha256sum` lines, "<hex>  <name>"; a path in name counts by its base
// name. It is read again before each start, so edits apply at once.
func WithChecksums(file string) Option {
	return optionFunc(func(o *options) { o.checksums = file })
}

// WithRestartLimit makes a task fail for good after more than max crashes
// of its plugin process within window (freshet.plugin.restart.max and
// freshet.plugin.restart.window.ms).
func WithRestartLimit(max int, window time.Duration) Option {
	return optionFunc(func(o *options) { o.restartMax, o.restartWindow = max, window })
}

// WithRestartBackoff sets the delay before restarting a crashed process: min
// after the first crash in the window, doubling with each further crash, at
// most max.
func WithRestartBackoff(min, max time.Duration) Option {
	return optionFunc(func(o *options) { o.backoffMin, o.backoffMax = min, max })
}

// WithStartTimeout bounds how long a plugin may take to start and answer
// the handshake.
func WithStartTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) { o.startTimeout = d })
}

// Worker config keys of plugins, besides plugin.path (runtime/config).
const (
	KeyPath          = "plugin.path"
	KeyChecksums     = "plugin.checksums"
	KeyIsolation     = "plugin.isolation"
	KeyRestartMax    = "freshet.plugin.restart.max"
	KeyRestartWindow = "freshet.plugin.restart.window.ms"
)

// Defaults of the restart policy.
const (
	DefaultRestartMax    = 5
	DefaultRestartWindow = 5 * time.Minute
)

// Isolation says where a built-in connector runs.
type Isolation string

// Isolation values, as plugin.isolation spells them.
const (
	InProcess Isolation = "in-process"
	Process   Isolation = "process"
)

// WorkerDef declares the worker keys this package reads, except plugin.path,
// which runtime/config declares. Merge it into the worker's definition.
func WorkerDef() *sdk.ConfigDef {
	in := sdk.InGroup("Plugins")
	low := sdk.WithImportance(sdk.Low)
	return sdk.NewConfigDef().
		String(KeyChecksums, "", "A file of `sha256sum` lines (\"<hex>  <name>\"). When set, a plugin executable runs only if its SHA-256 is the one listed for its name.", in, sdk.WithImportance(sdk.Medium)).
		String(KeyIsolation, string(InProcess), "Where built-in connectors run: in-process (fastest) or process (each connector and task in its own process, restarted when it crashes). A connector's own plugin.isolation overrides it. Plugins found in plugin.path always run in their own process.", in, low, sdk.Check(sdk.OneOf(string(InProcess), string(Process)))).
		Int(KeyRestartMax, DefaultRestartMax, "How many times a task's plugin process may crash within freshet.plugin.restart.window.ms and be restarted; one more crash fails the task until it is restarted.", in, low, sdk.Check(sdk.AtLeast(0))).
		Long(KeyRestartWindow, DefaultRestartWindow.Milliseconds(), "The window, in ms, over which freshet.plugin.restart.max counts crashes.", in, low, sdk.Check(sdk.AtLeast(1)))
}

// ConnectorDef declares the connector key this package reads:
// plugin.isolation, per connector. Merge it into the common connector keys.
func ConnectorDef() *sdk.ConfigDef {
	return sdk.NewConfigDef().
		String(KeyIsolation, nil, "Where this connector runs if it is built in: in-process or process. Unset: the worker's plugin.isolation.",
			sdk.InGroup("Common"), sdk.WithImportance(sdk.Low), sdk.Check(sdk.OneOf(string(InProcess), string(Process))))
}

// Settings are the parsed worker settings of plugins.
type Settings struct {
	Path          []string
	Checksums     string
	Isolation     Isolation
	RestartMax    int
	RestartWindow time.Duration
}

// ParseSettings reads the plugin keys of worker properties, every problem
// at once.
func ParseSettings(props map[string]string) (Settings, error) {
	v, err := WorkerDef().Parse(props)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{
		Checksums:     v.String(KeyChecksums),
		Isolation:     Isolation(strings.ToLower(v.String(KeyIsolation))),
		RestartMax:    v.Int(KeyRestartMax),
		RestartWindow: v.Millis(KeyRestartWindow),
	}
	if raw, ok := props[KeyPath]; ok {
		p, _ := sdk.ParseValue(sdk.TypeListConfig, raw)
		s.Path, _ = p.([]string)
	}
	return s, nil
}

// Options returns the Host options for s.
func (s Settings) Options() []Option {
	return []Option{WithPath(s.Path...), WithChecksums(s.Checksums), WithRestartLimit(s.RestartMax, s.RestartWindow)}
}

// Isolated reports whether a built-in connector with config connCfg runs in
// its own process: its plugin.isolation if set, else the worker's.
func (s Settings) Isolated(connCfg map[string]string) bool {
	if v := strings.TrimSpace(connCfg[KeyIsolation]); v != "" {
		return strings.EqualFold(v, string(Process))
	}
	return s.Isolation == Process
}
