// Package host runs connector plugins in their own processes and hands the
// engine ordinary sdk.Plugin values for them, so that the worker and the
// herder call an isolated connector exactly as they call a built-in one. It
// is internal to Freshet and carries no compatibility promise.
//
// Where plugins come from:
//   - Host.Rescan finds the executables in plugin.path, verifies each
//     against plugin.checksums (SHA-256) when that is set, starts it,
//     describes it (name, version, kind, config definition) and stops it.
//     Host.Load does the same for one executable.
//   - Host.Isolate wraps a built-in so that it runs in its own process
//     through `freshet plugin serve NAME` (plugin.isolation=process).
//
// How they run: every connector instance and every task gets its own
// process, started through hashicorp/go-plugin with automatic mutual TLS and
// version negotiation (connectors/sdk/proto/connectorv1). The plugin's
// standard output and error are logged with its name. When a process dies,
// the task's next Put, Flush or Poll returns a retriable error that wraps
// sdk.ErrTaskReset and reads "plugin NAME exited (status N): <its last
// lines>"; the worker then rewinds to what was made durable, and the task's
// next call starts a new process after an exponential backoff. More than
// freshet.plugin.restart.max crashes within freshet.plugin.restart.window.ms
// make the task's calls fail with a fatal error, so the task stays FAILED
// until it is restarted.
//
// Goroutines: go-plugin runs a few per process (stdout and stderr readers,
// the process waiter); each process's runner owns one that copies the
// plugin's standard output to the log. All of them end when the process
// ends, and Stop waits for that. The adapters start none, and hold no lock:
// their methods are called by one goroutine at a time, as the sdk says.
//
// Lock order: every mutex (a runner's, a line log's, a tail's) is a leaf.
package host
