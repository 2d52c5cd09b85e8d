package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Exit codes of `freshet connectors`, for scripts to branch on.
const (
	exitOK          = 0
	exitFailed      = 1 // the server failed (5xx) or answered something unexpected
	exitUsage       = 2 // bad command line or input file
	exitNotFound    = 3 // 404: no such connector, task, plugin or logger
	exitConflict    = 4 // 409: already exists, or a rebalance is under way
	exitInvalid     = 5 // 400: invalid config or request; validate found errors
	exitAuth        = 6 // 401 or 403: missing, wrong or insufficient credentials
	exitUnreachable = 7 // no answer from the worker
)

const connectorsUsage = `Usage: freshet connectors [flags] COMMAND [ARGS]

Manage connectors through a worker's REST API (Freshet's, or any Kafka Connect's).

Commands:
  list                              connectors with their state and tasks
  get NAME                          a connector's config and tasks
  status NAME                       connector and task states, with failure traces
  create -f FILE [--name NAME] [--paused|--stopped]
                                    create from JSON ({"name", "config"} or a flat config)
                                    or .properties; FILE - reads standard input
  update NAME -f FILE               replace a connector's config (creates it if missing)
  patch NAME KEY=VALUE... [--unset KEY]... [-f FILE]
                                    change some keys; --unset removes one
  delete NAME                       stop and delete a connector
  pause NAME | resume NAME | stop NAME
  restart NAME [--include-tasks] [--only-failed] [--task N]
  offsets get NAME                  committed offsets
  offsets reset NAME                remove every offset (the connector must be stopped)
  offsets alter NAME -f FILE        set offsets from {"offsets": [...]} (connector stopped)
  plugins [--all]                   installed connector plugins (--all: transforms, converters too)
  validate -f FILE                  check a config; exit 5 if it has errors
  hash-secret token|password NAME ROLE
                                    print a credentials-file line (token: generated;
                                    password: read from standard input)

Flags (before or after COMMAND):
  --url URL        REST API (default $FRESHET_URL, else http://127.0.0.1:8083)
  --token TOKEN    bearer token (default $FRESHET_TOKEN)
  --user USER:PASS basic credentials (default $FRESHET_USER)
  --cacert FILE    CA certificate to trust for https
  -o FORMAT        table (default), json or yaml
  --no-color       no colour (also when NO_COLOR is set or output is not a terminal)
  --timeout D      per-request timeout (default 30s)

Exit codes: 0 ok, 1 server error, 2 usage, 3 not found, 4 conflict, 5 invalid,
6 not authorised, 7 worker unreachable.
`

// cliOptions are the global flags.
type cliOptions struct {
	url, token, user, cacert, output string
	noColor                          bool
	timeout                          time.Duration
}

// cliError is an error with the exit code it ends the command with.
type cliError struct {
	code int
	msg  string
}

func (e *cliError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &cliError{exitUsage, fmt.Sprintf(format, args...)}
}

// runConnectors is `freshet connectors …`.
func runConnectors(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runConnectorsEnv(ctx, args, stdout, stderr, os.Getenv, os.Stdin)
}

func runConnectorsEnv(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, stdin io.Reader) int {
	opt, rest, err := parseGlobal(args, getenv)
	if err != nil {
		return report(stderr, err)
	}
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		fmt.Fprint(stdout, connectorsUsage)
		if len(rest) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch opt.output {
	case "table", "json", "yaml":
	default:
		return report(stderr, usageErr("-o %q: use table, json or yaml", opt.output))
	}
	cmd, cargs := rest[0], rest[1:]
	if cmd == "hash-secret" {
		return report(stderr, hashSecret(cargs, stdout, stdin))
	}
	c, err := newClient(opt)
	if err != nil {
		return report(stderr, err)
	}
	out := newPrinter(stdout, opt)
	run := map[string]func(context.Context, *client, *printer, []string, io.Reader) error{
		"list": cmdList, "get": cmdGet, "status": cmdStatus, "create": cmdCreate, "update": cmdUpdate,
		"patch": cmdPatch, "delete": cmdDelete, "pause": cmdTarget("pause"), "resume": cmdTarget("resume"),
		"stop": cmdTarget("stop"), "restart": cmdRestart, "offsets": cmdOffsets, "plugins": cmdPlugins,
		"validate": cmdValidate,
	}[cmd]
	if run == nil {
		return report(stderr, usageErr("unknown command %q (freshet connectors --help lists them)", cmd))
	}
	return report(stderr, run(ctx, c, out, cargs, stdin))
}

// parseGlobal takes the global flags from anywhere in args and returns the
// rest: the command and its own arguments and flags.
func parseGlobal(args []string, getenv func(string) string) (cliOptions, []string, error) {
	o := cliOptions{url: getenv("FRESHET_URL"), token: getenv("FRESHET_TOKEN"), user: getenv("FRESHET_USER"), output: "table", timeout: 30 * time.Second}
	if o.url == "" {
		o.url = "http://127.0.0.1:8083"
	}
	o.noColor = getenv("NO_COLOR") != ""
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		takes := map[string]*string{"url": &o.url, "token": &o.token, "user": &o.user, "cacert": &o.cacert, "o": &o.output, "output": &o.output}
		if p, ok := takes[name]; ok {
			if !hasVal {
				if i+1 >= len(args) {
					return o, nil, usageErr("%s needs a value", a)
				}
				i++
				val = args[i]
			}
			*p = val
			continue
		}
		switch name {
		case "no-color":
			o.noColor = true
		case "timeout":
			if !hasVal {
				if i+1 >= len(args) {
					return o, nil, usageErr("--timeout needs a value")
				}
				i++
				val = args[i]
			}
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return o, nil, usageErr("--timeout %q: use a duration such as 30s", val)
			}
			o.timeout = d
		default:
			rest = append(rest, a) // the command's own flag
		}
	}
	return o, rest, nil
}

// report prints err and returns its exit code.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var ce *cliError
	if errors.As(err, &ce) {
		fmt.Fprintln(stderr, "freshet connectors: "+ce.msg)
		return ce.code
	}
	fmt.Fprintln(stderr, "freshet connectors: "+err.Error())
	return exitFailed
}

// cmdFlags parses a command's own flags; positional arguments come back.
func cmdFlags(name string, args []string, define func(fs *flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageErr("%s: %v (freshet connectors --help)", name, err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func oneName(cmd string, pos []string) (string, error) {
	if len(pos) != 1 || pos[0] == "" {
		return "", usageErr("%s needs exactly one connector name (freshet connectors list shows them)", cmd)
	}
	return pos[0], nil
}
