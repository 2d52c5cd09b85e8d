package main

import (
	"context"
	"fmt"
	"io"
)

// runConnectors is a placeholder until the REST client CLI lands.
func runConnectors(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "freshet connectors: not available yet")
	return 2
}
