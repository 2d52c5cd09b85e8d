package connectorv1

// The go-plugin handshake. A plugin process is started with
// MagicCookieKey=MagicCookieValue in its environment and answers on stdout
// with go-plugin's line "1|<ProtocolVersion>|<network>|<address>|grpc[|<cert>]".
const (
	MagicCookieKey   = "FRESHET_PLUGIN"
	MagicCookieValue = "connector"
	// ProtocolVersion is this package's protocol version, the key of its
	// plugin set in go-plugin's VersionedPlugins.
	ProtocolVersion = 1
	// PluginName is the name of the one plugin in the version's plugin set.
	PluginName = "connector"
	// MaxMessageBytes bounds one gRPC message. Batches are sent in chunks of
	// about ChunkBytes, so only a single record larger than this fails.
	MaxMessageBytes = 256 << 20
	// ChunkBytes is the size a batch chunk is cut at.
	ChunkBytes = 128 << 10
)
