package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// printer writes command output: tables (coloured on a terminal) for
// people, JSON or YAML for scripts.
type printer struct {
	w      io.Writer
	format string
	color  bool
}

func newPrinter(w io.Writer, o cliOptions) *printer {
	return &printer{w: w, format: o.output, color: !o.noColor && isTerminal(w)}
}

func (p *printer) structured() bool { return p.format == "json" || p.format == "yaml" }

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiBold   = "\x1b[1m"
)

func (p *printer) paint(code, s string) string {
	if !p.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (p *printer) ok(s string) string  { return p.paint(ansiGreen, s) }
func (p *printer) bad(s string) string { return p.paint(ansiRed, s) }

// state colours a connector or task state.
func (p *printer) state(s string) string {
	switch s {
	case "RUNNING":
		return p.paint(ansiGreen, s)
	case "FAILED":
		return p.paint(ansiRed+ansiBold, s)
	case "PAUSED", "STOPPED":
		return p.paint(ansiYellow, s)
	case "RESTARTING", "UNASSIGNED":
		return p.paint(ansiBlue, s)
	}
	return s
}

func (p *printer) line(s string) { fmt.Fprintln(p.w, s) }

// done reports a change that has no body.
func (p *printer) done(verb, what string) error {
	if p.structured() {
		return p.data(map[string]string{"result": verb, "connector": what})
	}
	p.line(p.ok(verb) + " " + what)
	return nil
}

// table prints rows with aligned columns; the first row is the header.
func (p *printer) table(rows [][]string) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], visibleLen(c))
		}
	}
	for ri, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if ri == 0 {
				c = p.paint(ansiBold, c)
			}
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-visibleLen(r[i])+2))
			}
		}
		fmt.Fprintln(p.w, strings.TrimRight(b.String(), " "))
	}
}

// visibleLen is the printed width of s, without ANSI colour codes.
func visibleLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == '\x1b' {
			if j := strings.IndexByte(s[i:], 'm'); j >= 0 {
				i += j + 1
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}

// info prints a connector's config and tasks.
func (p *printer) info(info connInfo) error {
	if p.structured() {
		return p.data(info)
	}
	p.line(p.paint(ansiBold, info.Name) + "  (" + info.Type + ", " + strconv.Itoa(len(info.Tasks)) + " tasks)")
	keys := make([]string, 0, len(info.Config))
	for k := range info.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := [][]string{{"KEY", "VALUE"}}
	for _, k := range keys {
		rows = append(rows, []string{k, info.Config[k]})
	}
	p.table(rows)
	return nil
}

// status prints connector and task states, with traces of failures.
func (p *printer) status(st connStatus) error {
	if p.structured() {
		return p.data(st)
	}
	rows := [][]string{{"INSTANCE", "STATE", "WORKER"}, {"connector " + st.Name, p.state(st.Connector.State), st.Connector.WorkerID}}
	for _, t := range st.Tasks {
		rows = append(rows, []string{"task " + strconv.Itoa(t.ID), p.state(t.State), t.WorkerID})
	}
	p.table(rows)
	traces := []struct {
		who, trace string
	}{{"connector", st.Connector.Trace}}
	for _, t := range st.Tasks {
		traces = append(traces, struct{ who, trace string }{"task " + strconv.Itoa(t.ID), t.Trace})
	}
	for _, t := range traces {
		if t.trace != "" {
			p.line("\n" + p.bad(t.who+" failed:") + "\n" + strings.TrimRight(t.trace, "\n"))
		}
	}
	if countState(st.Tasks, "FAILED") > 0 || st.Connector.State == "FAILED" {
		p.line("\nfix the cause, then: freshet connectors restart " + st.Name + " --include-tasks --only-failed")
	}
	return nil
}

// data prints v as JSON or YAML.
func (p *printer) data(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if p.format == "yaml" {
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			return err
		}
		var sb strings.Builder
		writeYAML(&sb, generic, 0, false)
		_, err = io.WriteString(p.w, strings.TrimPrefix(sb.String(), "\n"))
		return err
	}
	var out any
	_ = json.Unmarshal(b, &out)
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// writeYAML writes a JSON value as block-style YAML. Strings are
// double-quoted (JSON quoting is valid YAML) unless plainly safe.
func writeYAML(b *strings.Builder, v any, indent int, inList bool) {
	pad := strings.Repeat("  ", indent)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !inList {
			b.WriteString("\n")
		}
		for i, k := range keys {
			if !(inList && i == 0) {
				b.WriteString(pad)
			}
			b.WriteString(yamlString(k) + ":")
			writeYAMLValue(b, x[k], indent+1)
		}
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		for _, e := range x {
			if m, ok := e.(map[string]any); ok && len(m) > 0 {
				b.WriteString(pad + "- ")
				writeYAML(b, m, indent+1, true)
				continue
			}
			b.WriteString(pad + "-")
			writeYAMLValue(b, e, indent+1)
		}
	default:
		writeYAMLValue(b, v, indent)
	}
}

func writeYAMLValue(b *strings.Builder, v any, indent int) {
	switch x := v.(type) {
	case map[string]any, []any:
		writeYAML(b, x, indent, false)
		return
	case nil:
		b.WriteString(" null\n")
	case string:
		b.WriteString(" " + yamlString(x) + "\n")
	case bool:
		b.WriteString(" " + strconv.FormatBool(x) + "\n")
	case float64:
		b.WriteString(" " + strconv.FormatFloat(x, 'f', -1, 64) + "\n")
	default:
		fmt.Fprintf(b, " %v\n", x)
	}
}

// yamlString returns s plain when YAML reads it back as the same string,
// else JSON-quoted.
func yamlString(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`\n\t\\") || strings.TrimSpace(s) != s || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "?") {
		q, _ := json.Marshal(s)
		return string(q)
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n":
		q, _ := json.Marshal(s)
		return string(q)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		q, _ := json.Marshal(s)
		return string(q)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			q, _ := json.Marshal(s)
			return string(q)
		}
	}
	return s
}
