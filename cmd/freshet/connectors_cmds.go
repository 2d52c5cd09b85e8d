package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/freshet-dev/freshet/runtime/config"
	"github.com/freshet-dev/freshet/runtime/rest"
)

// The JSON the commands read; only the fields they show.
type (
	taskRef struct {
		Connector string `json:"connector"`
		Task      int    `json:"task"`
	}
	connInfo struct {
		Name   string            `json:"name"`
		Config map[string]string `json:"config"`
		Tasks  []taskRef         `json:"tasks"`
		Type   string            `json:"type"`
	}
	instanceState struct {
		ID       int    `json:"id"`
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace,omitempty"`
	}
	connStatus struct {
		Name      string          `json:"name"`
		Connector instanceState   `json:"connector"`
		Tasks     []instanceState `json:"tasks"`
		Type      string          `json:"type"`
	}
)

// cmdList: list.
func cmdList(ctx context.Context, c *client, p *printer, args []string, _ io.Reader) error {
	if _, err := cmdFlags("list", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	var m map[string]struct {
		Status *connStatus `json:"status"`
		Info   *connInfo   `json:"info"`
	}
	if _, err := c.do(ctx, "GET", "/connectors?expand=status&expand=info", nil, &m); err != nil {
		return err
	}
	if p.structured() {
		return p.data(m)
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	rows := [][]string{{"NAME", "TYPE", "STATE", "TASKS", "CLASS"}}
	for _, n := range names {
		e := m[n]
		state, tasks, typ, class := "?", "-", "?", ""
		if e.Status != nil {
			state, typ = e.Status.Connector.State, e.Status.Type
			running := 0
			for _, t := range e.Status.Tasks {
				if t.State == "RUNNING" {
					running++
				}
			}
			tasks = fmt.Sprintf("%d/%d running", running, len(e.Status.Tasks))
			if failed := countState(e.Status.Tasks, "FAILED"); failed > 0 {
				tasks += fmt.Sprintf(", %d failed", failed)
			}
		}
		if e.Info != nil {
			class = e.Info.Config["connector.class"]
		}
		rows = append(rows, []string{n, typ, p.state(state), tasks, class})
	}
	if len(names) == 0 {
		p.line("no connectors (create one: freshet connectors create -f FILE)")
		return nil
	}
	p.table(rows)
	return nil
}

func countState(ts []instanceState, s string) int {
	n := 0
	for _, t := range ts {
		if t.State == s {
			n++
		}
	}
	return n
}

// cmdGet: get NAME.
func cmdGet(ctx context.Context, c *client, p *printer, args []string, _ io.Reader) error {
	pos, err := cmdFlags("get", args, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	name, err := oneName("get", pos)
	if err != nil {
		return err
	}
	var info connInfo
	if _, err := c.do(ctx, "GET", connPath(name), nil, &info); err != nil {
		return err
	}
	return p.info(info)
}

// cmdStatus: status NAME.
func cmdStatus(ctx context.Context, c *client, p *printer, args []string, _ io.Reader) error {
	pos, err := cmdFlags("status", args, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	name, err := oneName("status", pos)
	if err != nil {
		return err
	}
	var st connStatus
	if _, err := c.do(ctx, "GET", connPath(name, "status"), nil, &st); err != nil {
		return err
	}
	return p.status(st)
}

// connFile is a connector read from a file: {"name", "config",
// "initial_state"}, a flat JSON config, or .properties.
type connFile struct {
	name, initial string
	cfg           map[string]string
}

func readConnFile(path string, stdin io.Reader) (connFile, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return connFile{}, usageErr("-f: %v", err)
	}
	trimmed := bytes.TrimSpace(data)
	if strings.HasSuffix(path, ".json") || bytes.HasPrefix(trimmed, []byte("{")) {
		var top map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &top); err != nil {
			return connFile{}, usageErr("%s: not valid JSON: %v", path, err)
		}
		var f connFile
		if raw, ok := top["name"]; ok {
			_ = json.Unmarshal(raw, &f.name)
		}
		if raw, ok := top["initial_state"]; ok {
			_ = json.Unmarshal(raw, &f.initial)
		}
		cfgRaw := trimmed
		if raw, ok := top["config"]; ok {
			cfgRaw = raw
		}
		if f.cfg, err = stringValues(cfgRaw); err != nil {
			return connFile{}, usageErr("%s: %v", path, err)
		}
		if _, nested := top["config"]; !nested {
			delete(f.cfg, "initial_state")
		}
		if f.name == "" {
			f.name = f.cfg["name"]
		}
		return f, nil
	}
	m, err := config.ReadProperties(bytes.NewReader(data))
	if err != nil {
		return connFile{}, usageErr("%s: %v", path, err)
	}
	return connFile{name: m["name"], cfg: m}, nil
}

// stringValues decodes a JSON object of strings, numbers and booleans.
func stringValues(b []byte) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config must be a JSON object: %v", err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, err
			}
			out[k] = s
		case len(v) > 0 && (v[0] == '{' || v[0] == '['):
			return nil, fmt.Errorf("config value of %q must be a string", k)
		case string(v) == "null":
		default:
			out[k] = string(v)
		}
	}
	return out, nil
}

// cmdCreate: create -f FILE [--name NAME] [--paused|--stopped].
func cmdCreate(ctx context.Context, c *client, p *printer, args []string, stdin io.Reader) error {
	var file, name string
	var paused, stopped bool
	pos, err := cmdFlags("create", args, func(fs *flag.FlagSet) {
		fs.StringVar(&file, "f", "", "file")
		fs.StringVar(&name, "name", "", "name")
		fs.BoolVar(&paused, "paused", false, "")
		fs.BoolVar(&stopped, "stopped", false, "")
	})
	if err != nil {
		return err
	}
	if file == "" || len(pos) > 0 {
		return usageErr("create -f FILE [--name NAME] [--paused|--stopped]")
	}
	f, err := readConnFile(file, stdin)
	if err != nil {
		return err
	}
	if name != "" {
		f.name = name
		f.cfg["name"] = name
	}
	if f.name == "" {
		return usageErr("%s has no connector name: add \"name\" or pass --name NAME", file)
	}
	body := map[string]any{"name": f.name, "config": f.cfg}
	switch {
	case paused && stopped:
		return usageErr("--paused and --stopped exclude each other")
	case paused:
		body["initial_state"] = "PAUSED"
	case stopped:
		body["initial_state"] = "STOPPED"
	case f.initial != "":
		body["initial_state"] = f.initial
	}
	var info connInfo
	if _, err := c.do(ctx, "POST", "/connectors", body, &info); err != nil {
		return err
	}
	if p.structured() {
		return p.data(info)
	}
	p.line(p.ok("created") + " connector " + info.Name + fmt.Sprintf(" (%s, %d tasks)", info.Type, len(info.Tasks)))
	return nil
}

// cmdUpdate: update NAME -f FILE.
func cmdUpdate(ctx context.Context, c *client, p *printer, args []string, stdin io.Reader) error {
	var file string
	pos, err := cmdFlags("update", args, func(fs *flag.FlagSet) { fs.StringVar(&file, "f", "", "file") })
	if err != nil {
		return err
	}
	name, err := oneName("update", pos)
	if err != nil {
		return err
	}
	if file == "" {
		return usageErr("update NAME -f FILE")
	}
	f, err := readConnFile(file, stdin)
	if err != nil {
		return err
	}
	if n, ok := f.cfg["name"]; ok && n != name {
		return usageErr("%s names connector %q, not %q", file, n, name)
	}
	var info connInfo
	code, err := c.do(ctx, "PUT", connPath(name, "config"), f.cfg, &info)
	if err != nil {
		return err
	}
	if p.structured() {
		return p.data(info)
	}
	verb := "updated"
	if code == 201 {
		verb = "created"
	}
	p.line(p.ok(verb) + " connector " + info.Name)
	return nil
}

// cmdPatch: patch NAME KEY=VALUE... [--unset KEY]... [-f FILE].
func cmdPatch(ctx context.Context, c *client, p *printer, args []string, stdin io.Reader) error {
	var file string
	var unset multiFlag
	pos, err := cmdFlags("patch", args, func(fs *flag.FlagSet) {
		fs.StringVar(&file, "f", "", "file")
		fs.Var(&unset, "unset", "key to remove")
	})
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErr("patch NAME KEY=VALUE... [--unset KEY]... [-f FILE]")
	}
	name := pos[0]
	patch := map[string]any{}
	if file != "" {
		f, err := readConnFile(file, stdin)
		if err != nil {
			return err
		}
		for k, v := range f.cfg {
			patch[k] = v
		}
	}
	for _, kv := range pos[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageErr("patch: %q is not KEY=VALUE", kv)
		}
		patch[k] = v
	}
	for _, k := range unset {
		patch[k] = nil
	}
	if len(patch) == 0 {
		return usageErr("patch %s: nothing to change; give KEY=VALUE, --unset KEY or -f FILE", name)
	}
	var info connInfo
	if _, err := c.do(ctx, "PATCH", connPath(name, "config"), patch, &info); err != nil {
		return err
	}
	if p.structured() {
		return p.data(info)
	}
	p.line(p.ok("patched") + " connector " + info.Name)
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// cmdDelete: delete NAME.
func cmdDelete(ctx context.Context, c *client, p *printer, args []string, _ io.Reader) error {
	pos, err := cmdFlags("delete", args, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	name, err := oneName("delete", pos)
	if err != nil {
		return err
	}
	if _, err := c.do(ctx, "DELETE", connPath(name), nil, nil); err != nil {
		return err
	}
	return p.done("deleted", name)
}

// cmdTarget: pause, resume or stop NAME.
func cmdTarget(verb string) func(context.Context, *client, *printer, []string, io.Reader) error {
	past := map[string]string{"pause": "paused", "resume": "resumed", "stop": "stopped"}[verb]
	return func(ctx context.Context, c *client, p *printer, args []string, _ io.Reader) error {
		pos, err := cmdFlags(verb, args, func(*flag.FlagSet) {})
		if err != nil {
			return err
		}
		name, err := oneName(verb, pos)
		if err != nil {
			return err
		}
		if _, err := c.do(ctx, "PUT", connPath(name, verb), nil, nil); err != nil {
			return err
		}
		return p.done(past, name)
	}
}

// cmdRestart: restart NAME [--include-tasks] [--only-failed] [--task N].
func cmdRestart(ctx context.Context, c *client, p *printer, args []string, _ io.Reader) error {
	var includeTasks, onlyFailed bool
	task := -1
	pos, err := cmdFlags("restart", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&includeTasks, "include-tasks", false, "")
		fs.BoolVar(&onlyFailed, "only-failed", false, "")
		fs.IntVar(&task, "task", -1, "")
	})
	if err != nil {
		return err
	}
	name, err := oneName("restart", pos)
	if err != nil {
		return err
	}
	if task >= 0 {
		if includeTasks || onlyFailed {
			return usageErr("--task restarts one task; it does not combine with --include-tasks or --only-failed")
		}
		if _, err := c.do(ctx, "POST", connPath(name, "tasks", strconv.Itoa(task), "restart"), nil, nil); err != nil {
			return err
		}
		return p.done("restarted", fmt.Sprintf("%s task %d", name, task))
	}
	q := url.Values{}
	if includeTasks {
		q.Set("includeTasks", "true")
	}
	if onlyFailed {
		q.Set("onlyFailed", "true")
	}
	path := connPath(name, "restart")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var st connStatus
	code, err := c.do(ctx, "POST", path, nil, &st)
	if err != nil {
		return err
	}
	if code == 202 {
		if p.structured() {
			return p.data(st)
		}
		return p.status(st)
	}
	return p.done("restarted", name)
}

// cmdOffsets: offsets get|reset|alter NAME.
func cmdOffsets(ctx context.Context, c *client, p *printer, args []string, stdin io.Reader) error {
	var file string
	pos, err := cmdFlags("offsets", args, func(fs *flag.FlagSet) { fs.StringVar(&file, "f", "", "file") })
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErr("offsets get|reset|alter NAME")
	}
	sub, name := pos[0], pos[1]
	type entry struct {
		Partition map[string]any `json:"partition"`
		Offset    map[string]any `json:"offset"`
	}
	var offs struct {
		Offsets []entry `json:"offsets"`
	}
	var msg struct {
		Message string `json:"message"`
	}
	switch sub {
	case "get":
		if _, err := c.do(ctx, "GET", connPath(name, "offsets"), nil, &offs); err != nil {
			return err
		}
		if p.structured() {
			return p.data(offs)
		}
		rows := [][]string{{"PARTITION", "OFFSET"}}
		for _, e := range offs.Offsets {
			rows = append(rows, []string{compactJSON(e.Partition), compactJSON(e.Offset)})
		}
		if len(offs.Offsets) == 0 {
			p.line("no offsets for " + name)
			return nil
		}
		p.table(rows)
		return nil
	case "reset":
		if _, err := c.do(ctx, "DELETE", connPath(name, "offsets"), nil, &msg); err != nil {
			return err
		}
	case "alter":
		if file == "" {
			return usageErr("offsets alter NAME -f FILE (a JSON {\"offsets\": [{\"partition\": {…}, \"offset\": {…}}]})")
		}
		var data []byte
		if file == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(file)
		}
		if err != nil {
			return usageErr("-f: %v", err)
		}
		var body json.RawMessage
		if err := json.Unmarshal(data, &body); err != nil {
			return usageErr("%s: not valid JSON: %v", file, err)
		}
		if _, err := c.do(ctx, "PATCH", connPath(name, "offsets"), body, &msg); err != nil {
			return err
		}
	default:
		return usageErr("offsets %q: use get, reset or alter", sub)
	}
	if p.structured() {
		return p.data(msg)
	}
	p.line(p.ok("done") + " " + msg.Message)
	return nil
}

func compactJSON(v any) string {
	if v == nil {
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// cmdPlugins: plugins [--all].
func cmdPlugins(ctx context.Context, c *client, p *printer, args []string, _ io.Reader) error {
	var all bool
	if _, err := cmdFlags("plugins", args, func(fs *flag.FlagSet) { fs.BoolVar(&all, "all", false, "") }); err != nil {
		return err
	}
	var list []struct {
		Class   string   `json:"class"`
		Type    string   `json:"type"`
		Version string   `json:"version,omitempty"`
		Aliases []string `json:"aliases,omitempty"`
	}
	path := "/connector-plugins"
	if all {
		path += "?connectorsOnly=false"
	}
	if _, err := c.do(ctx, "GET", path, nil, &list); err != nil {
		return err
	}
	if p.structured() {
		return p.data(list)
	}
	rows := [][]string{{"CLASS", "TYPE", "VERSION", "ALIASES"}}
	for _, pl := range list {
		rows = append(rows, []string{pl.Class, pl.Type, pl.Version, strings.Join(pl.Aliases, ", ")})
	}
	p.table(rows)
	return nil
}

// cmdValidate: validate -f FILE; exit 5 when the config has errors.
func cmdValidate(ctx context.Context, c *client, p *printer, args []string, stdin io.Reader) error {
	var file string
	if _, err := cmdFlags("validate", args, func(fs *flag.FlagSet) { fs.StringVar(&file, "f", "", "file") }); err != nil {
		return err
	}
	if file == "" {
		return usageErr("validate -f FILE")
	}
	f, err := readConnFile(file, stdin)
	if err != nil {
		return err
	}
	class := f.cfg["connector.class"]
	if class == "" {
		return usageErr("%s has no connector.class", file)
	}
	var res struct {
		Name       string `json:"name"`
		ErrorCount int    `json:"error_count"`
		Configs    []struct {
			Value struct {
				Name   string   `json:"name"`
				Errors []string `json:"errors"`
			} `json:"value"`
		} `json:"configs"`
	}
	var raw json.RawMessage
	if _, err := c.do(ctx, "PUT", "/connector-plugins/"+url.PathEscape(class)+"/config/validate", f.cfg, &raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return &cliError{exitFailed, "validate: unexpected answer: " + err.Error()}
	}
	if p.structured() {
		if err := p.data(raw); err != nil {
			return err
		}
	} else if res.ErrorCount == 0 {
		p.line(p.ok("valid") + " " + class + " config")
	} else {
		rows := [][]string{{"KEY", "ERROR"}}
		for _, cfg := range res.Configs {
			for _, e := range cfg.Value.Errors {
				rows = append(rows, []string{cfg.Value.Name, p.bad(e)})
			}
		}
		p.table(rows)
	}
	if res.ErrorCount > 0 {
		return &cliError{exitInvalid, fmt.Sprintf("the config has %d error(s)", res.ErrorCount)}
	}
	return nil
}

// hashSecret: hash-secret token|password NAME ROLE.
func hashSecret(args []string, stdout io.Writer, stdin io.Reader) error {
	if len(args) != 3 {
		return usageErr("hash-secret token|password NAME ROLE")
	}
	kind, name, role := args[0], args[1], args[2]
	if _, err := rest.ParseRole(role); err != nil {
		return usageErr("%v", err)
	}
	if strings.ContainsAny(name, " \t\n") || name == "" {
		return usageErr("NAME must be one word")
	}
	switch kind {
	case "token":
		tok, err := rest.NewToken()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s %s %s\n", name, role, rest.HashToken(tok))
		fmt.Fprintf(stdout, "# give the client this token (it is not stored anywhere): %s\n", tok)
	case "password":
		b, err := io.ReadAll(io.LimitReader(stdin, 4096))
		if err != nil {
			return err
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return usageErr("hash-secret password: write the password to standard input")
		}
		h, err := rest.HashPassword(pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "basic %s %s %s\n", name, role, h)
	default:
		return usageErr("hash-secret %q: use token or password", kind)
	}
	return nil
}
