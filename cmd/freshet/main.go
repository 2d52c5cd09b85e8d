// Command freshet is the Freshet connector runtime: a worker that runs Kafka
// Connect-compatible source and sink connectors, an embedded demo, and the
// command-line tools that operate them.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const usage = `freshet: a connector runtime that speaks Kafka Connect's language

Usage:
  freshet worker WORKER.properties [CONNECTOR.json|CONNECTOR.properties ...]
        run a standalone worker, like connect-standalone; with group.id in
        WORKER.properties, a distributed one, like connect-distributed
  freshet demo [--for DURATION] [--bootstrap-servers HOST:PORT] [--data-dir DIR]
        run the embedded demo pipeline (no servers needed)
  freshet connectors COMMAND ...
        manage connectors through a worker's REST API (freshet connectors --help)
  freshet dlq COMMAND ...
        list, inspect, replay and skip dead letters (freshet dlq --help)
  freshet plugin serve NAME | list | verify ...
        run a built-in connector as an isolated plugin; inspect plugin binaries
  freshet cluster [-o json]
        distributed mode: members, leader, generation and assignments
  freshet docs DIR
        write the connector reference (Markdown) to DIR
  freshet version
        print the version

Environment: FRESHET_<KEY> overrides a worker property (FRESHET_BOOTSTRAP_SERVERS
sets bootstrap.servers); FRESHET_URL is the REST URL the CLI talks to.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "worker":
		return runWorker(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "connectors":
		return runConnectors(ctx, args[1:], stdout, stderr)
	case "dlq":
		return runDLQ(ctx, args[1:], stdout, stderr)
	case "plugin":
		return runPlugin(ctx, args[1:], stdout, stderr)
	case "cluster":
		return runCluster(ctx, args[1:], stdout, stderr)
	case "docs":
		return runDocs(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "freshet", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "freshet: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
