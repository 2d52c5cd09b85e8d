package conformance

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Invalid is a config change that validation must reject.
type Invalid struct {
	// Name names the case in test output.
	Name string
	// Set holds the keys to set (to the given value) in a valid config;
	// Remove the keys to leave out.
	Set    map[string]string
	Remove []string
	// Key is the config key the problem must be reported against.
	Key string
}

// callTimeout bounds each call the suite makes.
const callTimeout = 30 * time.Second

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// problems validates cfg as the runtime does: the plugin's config
// definition, then its connector's own Validator.
func problems(ctx context.Context, p sdk.Plugin, cfg map[string]string) map[string][]string {
	out := map[string][]string{}
	if p.Config != nil {
		for _, cv := range p.Config.Validate(cfg) {
			out[cv.Key.Name] = append(out[cv.Key.Name], cv.Errors...)
		}
	}
	if v, ok := p.New().(sdk.Validator); ok {
		for k, msgs := range v.Validate(ctx, cfg) {
			out[k] = append(out[k], msgs...)
		}
	}
	for k, msgs := range out {
		if len(msgs) == 0 {
			delete(out, k)
		}
	}
	return out
}

func checkDescription(t *testing.T, p sdk.Plugin, kind sdk.Kind) {
	if p.Name == "" {
		t.Error("the plugin has no Name")
	}
	if p.Version == "" {
		t.Error("the plugin has no Version")
	}
	if p.Kind != kind {
		t.Errorf("Kind is %q, want %q", p.Kind, kind)
	}
	if p.Config == nil {
		t.Error("Config is nil: declare the connector's keys, even if there are none (sdk.NewConfigDef())")
	}
	if p.New == nil {
		t.Fatal("New is nil")
	}
	for _, k := range p.Config.Keys() {
		if k.Doc == "" {
			t.Errorf("config key %s has no documentation", k.Name)
		}
	}
}

func checkValidation(t *testing.T, p sdk.Plugin, config func(*testing.T) map[string]string, invalid []Invalid) {
	ctx := ctxT(t)
	valid := config(t)
	if ps := problems(ctx, p, valid); len(ps) > 0 {
		t.Fatalf("the valid config %v has problems: %v", valid, ps)
	}
	cases := slices.Clone(invalid)
	if p.Config != nil {
		for _, k := range p.Config.Keys() {
			if k.IsRequired() {
				cases = append(cases, Invalid{Name: "without required " + k.Name, Remove: append([]string{k.Name}, k.Aliases...), Key: k.Name})
			}
		}
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.Name, " ", "_"), func(t *testing.T) {
			cfg := maps.Clone(valid)
			for _, k := range c.Remove {
				delete(cfg, k)
			}
			maps.Copy(cfg, c.Set)
			ps := problems(ctx, p, cfg)
			if len(ps[c.Key]) == 0 {
				t.Errorf("no problem reported against %s for %v; problems: %v", c.Key, cfg, ps)
			}
		})
	}
}

// startConnector runs the connector's lifecycle and returns its first task
// config, as the herder would give it to a task.
func startConnector(t *testing.T, p sdk.Plugin, cfg map[string]string) map[string]string {
	ctx := ctxT(t)
	conn := p.New()
	if err := conn.Start(ctx, cfg); err != nil {
		t.Fatalf("connector Start: %v", err)
	}
	defer func() {
		if err := conn.Stop(ctx); err != nil {
			t.Errorf("connector Stop: %v", err)
		}
	}()
	cfgs, err := conn.TaskConfigs(2)
	if err != nil {
		t.Fatalf("TaskConfigs: %v", err)
	}
	if len(cfgs) == 0 || len(cfgs) > 2 {
		t.Fatalf("TaskConfigs(2) returned %d configs, want 1 or 2", len(cfgs))
	}
	return cfgs[0]
}

// classOf names the class of err for messages.
func classOf(err error) string {
	c, ok := sdk.ClassOf(err)
	if !ok {
		return "unclassified"
	}
	return c.String()
}
