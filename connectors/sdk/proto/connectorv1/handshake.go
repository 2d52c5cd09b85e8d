package connectorv1

// The go-plugin handshake. A plugin process is started with
// MagicCookieKey=MagicCookieValue in its environment and answers on stdout
// with go-plugin's line "1|<ProtocolVersion>|<network>|<address>|grpc[|<cert>]".
const (
	MagicCookieKey   = "FRESHET_PLUGIN"
	MagicCookieValue = "connector"
	// ProtocolVersion is this package's newest protocol version, the key of
	// its plugin set in go-plugin's VersionedPlugins. Version 2 is version 1
	// plus Put chunks in shared memory; version 3 is version 2 plus packed
	// records in the chunks the host sends (connector.proto).
	ProtocolVersion = 3
	// MinProtocolVersion is the oldest version this package still speaks.
	MinProtocolVersion = 1
	// SharedMemoryEnv names the variable through which the host passes a
	// plugin process its shared memory region (version 2), as "<fd>:<bytes>".
	SharedMemoryEnv = "FRESHET_PLUGIN_SHARED_MEMORY"
	// PluginName is the name of the one plugin in the version's plugin set.
	PluginName = "connector"
	// MaxMessageBytes bounds one gRPC message. Batches are sent in chunks of
	// about ChunkBytes, so only a single record larger than this fails.
	MaxMessageBytes = 256 << 20
	// ChunkBytes is the size a batch chunk is cut at.
	ChunkBytes = 128 << 10
)
