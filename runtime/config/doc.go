// Package config reads Freshet's configuration files and resolves what they
// refer to. It is internal to Freshet and carries no compatibility promise.
//
// It covers four things:
//
//   - Java .properties files (ReadProperties, LoadProperties), the format of
//     Kafka Connect worker configs and of connector configs given to
//     connect-standalone;
//   - connector config files (LoadConnectorFile, LoadConnector), as
//     .properties or as JSON in either of the shapes connect-standalone
//     accepts: the body of POST /connectors ({"name":…,"config":{…}}) or a
//     flat config map with "name" inside;
//   - the worker config: WorkerDef declares every worker key Freshet honours,
//     with Kafka Connect's defaults except where noted, and ParseWorker turns
//     a property map into a typed Worker, reporting every problem at once.
//     ApplyEnv layers FRESHET_* environment variables on top;
//   - config providers (KIP-297): a Resolver replaces ${env:NAME},
//     ${file:path:key} and ${directory:path:name} references in a config
//     map, returning a new map, so that stored configs stay unresolved.
//
// The package starts no goroutines and holds no global state. A Resolver is
// safe for concurrent use.
package config
