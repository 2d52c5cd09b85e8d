// Package plugin turns a program into a Freshet connector plugin: an
// executable the worker runs in its own process, so that a crash in the
// connector cannot take the worker down, and that the worker restarts when
// it dies.
//
// A plugin's main does one thing:
//
//	func main() { plugin.Serve(myconnector.Plugin()) }
//
// Serve speaks versions 1 and 2 of Freshet's connector protocol
// (connectors/sdk/proto/connectorv1) over hashicorp/go-plugin's gRPC
// transport, with automatic mutual TLS; with a worker that speaks 2 on
// Linux, Put batches arrive through a shared memory region the worker
// passes the process. The worker discovers the executable
// in a plugin.path directory, describes it (name, version, kind, config
// definition), and calls the connector and its tasks exactly as it calls a
// built-in connector: the connector cannot tell where it runs.
//
// What the plugin prints on standard output and standard error lands in the
// worker's log under the plugin's name.
//
// Goroutines: Serve runs go-plugin's server, which serves each call on a
// gRPC goroutine. Calls to one task are serialized, so a task sees them one
// at a time as it does in the worker.
package plugin
