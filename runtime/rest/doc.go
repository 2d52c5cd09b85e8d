// Package rest serves Freshet's REST API: Kafka Connect 4.x's API, with the
// same paths, methods, query parameters, status codes and JSON bodies, so
// that the scripts, Terraform providers, UIs and CLIs written for Kafka
// Connect work unchanged, plus an OpenAPI 3 document of it at /openapi.json.
// It is internal to Freshet and carries no compatibility promise beyond the
// wire format.
//
// It adds what Kafka Connect leaves to deployment: optional authentication
// (bearer tokens and basic credentials from a file of hashed secrets, each
// with a role: viewer, operator or admin), TLS listeners, redaction of
// PASSWORD-type config values as "[hidden]" in every response, and strict
// handling of bad input (400 with line and column for malformed JSON, 413
// over 1 MiB, JSON 404 and 405 bodies). Errors are always Kafka Connect's
// {"error_code": N, "message": "…"}.
//
// Files: server.go (Server, listeners), options.go, routes.go (the route
// table: paths, methods, roles; the OpenAPI test checks it), one file per
// resource (connectors.go, tasks.go, offsets.go, topics.go, plugins.go,
// loggers.go, root.go), auth.go, redact.go, decode.go (bodies), entities.go
// (JSON shapes), errors.go (error → status).
//
// Goroutines: Start runs one http.Server per listener, each serving on its
// own goroutine; Shutdown stops them and waits. Handlers run on net/http's
// per-connection goroutines and share only the herder (safe for concurrent
// use), the immutable route table and credentials, the logger levels (a
// mutex) and Server.writeMu, which serialises the read-modify-write
// requests (create, PATCH config) so that two of them cannot interleave.
package rest
