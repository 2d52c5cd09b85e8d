package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/connectors/sdk/plugin"
	"github.com/freshet-dev/freshet/runtime/plugin/host"
)

const pluginUsage = `Usage:
  freshet plugin serve NAME
        serve the built-in connector NAME as an isolated plugin; the worker
        runs this itself for plugin.isolation=process
  freshet plugin list [--plugin-path DIR,...] [--checksums FILE]
        list the built-in connectors and the plugins found in the directories
  freshet plugin verify --checksums FILE EXECUTABLE...
        check executables against a checksum file and the protocol version,
        and describe the connectors they carry
`

// runPlugin is `freshet plugin …`.
func runPlugin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, pluginUsage)
		return 2
	}
	switch args[0] {
	case "serve":
		return servePlugin(args[1:], stderr)
	case "list":
		return listPlugins(ctx, args[1:], stdout, stderr)
	case "verify":
		return verifyPlugins(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, pluginUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "freshet plugin: unknown command %q\n\n%s", args[0], pluginUsage)
		return 2
	}
}

// servePlugin serves one built-in connector to the worker that started this
// process. It returns when the worker stops it.
func servePlugin(args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprint(stderr, "Usage: freshet plugin serve NAME\n")
		return 2
	}
	p, ok := builtin(args[0])
	if !ok {
		fmt.Fprintf(stderr, "freshet plugin serve: no built-in connector named %q (have %s)\n", args[0], builtinNames())
		return 2
	}
	plugin.Serve(p)
	return 0
}

func builtin(name string) (sdk.Plugin, bool) {
	for _, p := range builtins() {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return sdk.Plugin{}, false
}

func builtinNames() string {
	var names []string
	for _, p := range builtins() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

func listPlugins(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("freshet plugin list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("plugin-path", "", "directories holding plugin executables, comma separated")
	sums := fs.String("checksums", "", "a file of sha256sum lines the executables must match")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	h, err := host.New(zap.NewNop(), host.WithPath(splitList(*path)...), host.WithChecksums(*sums))
	if err != nil {
		fmt.Fprintf(stderr, "freshet plugin list: %v\n", err)
		return 2
	}
	found, scanErr := h.Rescan(ctx)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tVERSION\tRUNS")
	for _, p := range builtins() {
		fmt.Fprintf(tw, "%s\t%s\t%s\tbuilt in\n", p.Name, p.Kind, p.Version)
	}
	for _, p := range found {
		fmt.Fprintf(tw, "%s\t%s\t%s\tplugin\n", p.Name, p.Kind, p.Version)
	}
	tw.Flush()
	if scanErr != nil {
		fmt.Fprintf(stderr, "freshet plugin list: some plugins were refused:\n%v\n", scanErr)
		return 1
	}
	return 0
}

func verifyPlugins(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("freshet plugin verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sums := fs.String("checksums", "", "a file of sha256sum lines the executables must match")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *sums == "" || fs.NArg() == 0 {
		fmt.Fprint(stderr, "Usage: freshet plugin verify --checksums FILE EXECUTABLE...\n")
		return 2
	}
	h, err := host.New(zap.NewNop(), host.WithChecksums(*sums))
	if err != nil {
		fmt.Fprintf(stderr, "freshet plugin verify: %v\n", err)
		return 2
	}
	code := 0
	for _, bin := range fs.Args() {
		abs, err := filepath.Abs(bin)
		if err == nil {
			var ps []sdk.Plugin
			ps, err = h.Load(ctx, host.Command{Path: abs, Verify: true})
			for _, p := range ps {
				fmt.Fprintf(stdout, "%s: ok: %s %s %s\n", bin, p.Kind, p.Name, p.Version)
			}
		}
		if err != nil {
			var ce *host.ChecksumError
			if !errors.As(err, &ce) {
				err = fmt.Errorf("%s: %w", bin, err)
			}
			fmt.Fprintf(stderr, "%v\n", err)
			code = 1
		}
	}
	return code
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
