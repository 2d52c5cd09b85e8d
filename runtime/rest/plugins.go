package rest

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/convert"
	"github.com/freshet-dev/freshet/runtime/transform"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// GET /connector-plugins[?connectorsOnly=false]
func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request, _ params) error {
	connectorsOnly, err := boolParam(r.URL.Query(), "connectorsOnly", true)
	if err != nil {
		return err
	}
	out := []pluginInfo{}
	for _, p := range s.plugins.Plugins() {
		out = append(out, pluginInfo{Class: p.Name, Type: string(p.Kind), Version: p.Version, Aliases: p.Aliases})
	}
	if !connectorsOnly {
		for _, t := range transform.Plugins() {
			out = append(out, pluginInfo{Class: t.Class, Type: t.Type, Version: s.opts.version})
		}
		for _, c := range convert.Classes() {
			if strings.Contains(c, ".") {
				out = append(out, pluginInfo{Class: c, Type: "converter", Version: s.opts.version})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return pluginTypeOrder(out[i].Type) < pluginTypeOrder(out[j].Type)
		}
		return out[i].Class < out[j].Class
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

func pluginTypeOrder(t string) int {
	switch t {
	case "sink":
		return 0
	case "source":
		return 1
	case "converter":
		return 2
	case "header_converter":
		return 3
	case "transformation":
		return 4
	case "predicate":
		return 5
	}
	return 6
}

// GET /connector-plugins/{plugin}/config: the plugin's keys, then (for a
// connector) the keys every connector has, as Kafka Connect lists them.
func (s *Server) pluginConfig(w http.ResponseWriter, r *http.Request, p params) error {
	name := p.get("plugin")
	var defs []*sdk.ConfigDef
	if pl, err := s.plugins.Lookup(name); err == nil {
		defs = []*sdk.ConfigDef{pl.Config, worker.CommonDef()}
	} else {
		for _, t := range transform.Plugins() {
			if t.Class == name || strings.HasSuffix(t.Class, "."+name) {
				defs = []*sdk.ConfigDef{t.Def}
			}
		}
		for _, c := range convert.Classes() {
			if c == name {
				defs = []*sdk.ConfigDef{sdk.NewConfigDef()}
			}
		}
	}
	if defs == nil {
		return errorf(http.StatusNotFound, "Unknown plugin %s.", name)
	}
	out := []configKeyInfo{}
	for _, d := range defs {
		out = append(out, keyInfos(d)...)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// keyInfos describes a definition's keys as ConfigKeyInfo, numbering them
// within their groups from 1 (-1 for keys without a group).
func keyInfos(d *sdk.ConfigDef) []configKeyInfo {
	if d == nil {
		return nil
	}
	order := map[string]int{}
	var out []configKeyInfo
	for _, k := range d.Keys() {
		ki := configKeyInfo{
			Name: k.Name, Type: string(k.Type), Required: k.IsRequired(), Importance: string(k.Importance),
			Documentation: k.Doc, OrderInGroup: -1, Width: "NONE", DisplayName: k.Name, Dependents: []string{},
		}
		if ki.Type == "" {
			ki.Type = string(sdk.TypeStringConfig)
		}
		if !k.IsRequired() && k.Default != nil {
			v := sdk.FormatValue(k.Default)
			if k.Secret() && v != "" {
				v = sdk.HiddenValue
			}
			ki.DefaultValue = &v
		}
		if k.Group != "" {
			g := k.Group
			ki.Group = &g
			order[g]++
			ki.OrderInGroup = order[g]
		}
		out = append(out, ki)
	}
	return out
}

// PUT /connector-plugins/{plugin}/config/validate: always 200 when the
// config names a connector; its problems are per key, in the body.
func (s *Server) validateConfig(w http.ResponseWriter, r *http.Request, p params) error {
	var body configMap
	if err := readJSON(r, &body); err != nil {
		return err
	}
	if body.values == nil {
		return errorf(http.StatusBadRequest, "The request body must be a JSON object of config keys and values")
	}
	cfg := body.values
	class, ok := cfg[worker.KeyConnectorClass]
	if !ok || strings.TrimSpace(class) == "" {
		return errorf(http.StatusBadRequest, "Connector config contains no connector type: set %s", worker.KeyConnectorClass)
	}
	pl, err := s.plugins.Lookup(class)
	if err != nil {
		return errorf(http.StatusBadRequest, "%s", s.unknownClassMessage(class))
	}
	if pp, err := s.plugins.Lookup(p.get("plugin")); err != nil || pp.Name != pl.Name {
		return errorf(http.StatusBadRequest, "Included connector type %s does not match request type %s", class, p.get("plugin"))
	}
	out := configInfos{Name: class, Groups: []string{}, Configs: []configInfo{}}
	index := map[string]int{} // key → position in out.Configs
	seenGroup := map[string]bool{}
	for _, d := range []*sdk.ConfigDef{worker.CommonDef(), pl.Config} {
		if d == nil {
			continue
		}
		infos := keyInfos(d)
		for i, cv := range d.Validate(cfg) {
			ci := configInfo{Definition: infos[i], Value: configValueInfo{
				Name: cv.Key.Name, RecommendedValues: []string{}, Errors: []string{}, Visible: true,
			}}
			if cv.Set || cv.Value != "" {
				v := cv.Value
				ci.Value.Value = &v
			}
			ci.Value.Errors = append(ci.Value.Errors, cv.Errors...)
			if g := cv.Key.Group; g != "" && !seenGroup[g] {
				seenGroup[g] = true
				out.Groups = append(out.Groups, g)
			}
			index[cv.Key.Name] = len(out.Configs)
			out.Configs = append(out.Configs, ci)
		}
	}
	// What the herder adds: the connector's own Validator, config-provider
	// resolution, cross-key rules. Errors not about a listed key go on
	// connector.class, so error_count still counts them.
	if err := s.h.Validate(r.Context(), cfg); err != nil {
		for _, e := range leafErrors(err) {
			key, msg := worker.KeyConnectorClass, e.Error()
			var ce *sdk.ConfigError
			if errors.As(e, &ce) {
				key, msg = ce.Key, ce.Message
			}
			i, ok := index[key]
			if !ok {
				index[key] = len(out.Configs)
				i = len(out.Configs)
				out.Configs = append(out.Configs, configInfo{
					Definition: configKeyInfo{Name: key, Type: string(sdk.TypeStringConfig), Importance: string(sdk.Low),
						OrderInGroup: -1, Width: "NONE", DisplayName: key, Dependents: []string{}},
					Value: configValueInfo{Name: key, RecommendedValues: []string{}, Errors: []string{}, Visible: true},
				})
			}
			if !containsString(out.Configs[i].Value.Errors, msg) {
				out.Configs[i].Value.Errors = append(out.Configs[i].Value.Errors, msg)
			}
		}
	}
	for _, c := range out.Configs {
		out.ErrorCount += len(c.Value.Errors)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
