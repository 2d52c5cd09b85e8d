// Package connectorv1 is version 1 of the protocol between the Freshet
// worker and connector plugins running in their own process: the messages
// and gRPC service generated from connector.proto, the go-plugin handshake
// both sides must agree on, and the conversions between the sdk's types
// (records, schemas, values, errors, config definitions) and the messages.
//
// Connector authors do not use this package: they call
// connectors/sdk/plugin.Serve. It is exported for the two Go ends of the
// protocol, connectors/sdk/plugin and Freshet's host, and for authors of
// plugins in other languages, who read connector.proto.
//
// The package starts no goroutines and holds no state.
package connectorv1
