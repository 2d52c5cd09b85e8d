// Package plugin finds connector plugins by the names users write in
// connector.class. A Registry is a value built from an explicit list (see
// cmd/freshet/builtins.go); there is no global registry. It is internal to
// Freshet and carries no compatibility promise. It starts no goroutines.
package plugin
