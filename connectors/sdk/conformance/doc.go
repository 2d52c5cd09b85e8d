// Package conformance is the test suite every Freshet connector passes, in
// process and as an isolated plugin. A connector author runs it from a test
// with a few lines:
//
//	func TestConformance(t *testing.T) {
//		conformance.Sink{
//			Plugin: mysink.Plugin(),
//			Config: func(t *testing.T) map[string]string { return map[string]string{"file": t.TempDir() + "/out"} },
//			Read:   readIDs, // what the destination holds, in the order it stored it
//		}.Run(t)
//	}
//
// Against a plugin executable, the Plugin is the one Freshet's host makes
// for it (runtime/plugin/host: Host.Load), which runs each connector and
// task in a process of the executable: the suite cannot tell the two apart,
// which is the point.
//
// What it checks, each as a subtest: the plugin's description; config
// validation (the valid config passes, each required key and each given
// invalid config is reported against its key); the connector and task
// lifecycle as the worker drives it; per-partition order; error classes
// (per-record outcomes of Put); at-least-once delivery across a restart
// from committed offsets or positions; and, when the connector claims it,
// exactly-once delivery.
//
// The suite starts no goroutines of its own; the tasks it drives may.
package conformance
