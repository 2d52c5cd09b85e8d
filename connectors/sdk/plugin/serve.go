package plugin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/connectors/sdk/proto/connectorv1"
)

// Serve serves plugins to the Freshet worker that started this process and
// returns when the worker stops it. A program run by hand, not by a worker,
// gets a message saying so and exits with status 1, as does one given
// plugins that are incomplete or share a name.
func Serve(plugins ...sdk.Plugin) {
	srv, err := newServer(plugins)
	if err != nil {
		fmt.Fprintf(os.Stderr, "freshet plugin: %v\n", err)
		os.Exit(1)
	}
	// A plugin process allocates a batch's worth of memory per Put and
	// keeps little: with Go's default GOGC it would collect several times
	// per batch. Unless the operator chose, collect when the heap has grown
	// four times over what it keeps.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// Without a region, Put chunks come inline; the host only sends
	// references to a region it has passed.
	if srv.shared, err = mapShared(os.Getenv(connectorv1.SharedMemoryEnv)); err != nil {
		fmt.Fprintf(os.Stderr, "freshet plugin: %v\n", err)
	}
	// Every version this package speaks: go-plugin picks the newest one the
	// worker speaks too.
	versions := map[int]goplugin.PluginSet{}
	for v := connectorv1.MinProtocolVersion; v <= connectorv1.ProtocolVersion; v++ {
		versions[v] = goplugin.PluginSet{connectorv1.PluginName: &grpcPlugin{srv: srv}}
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  handshake(),
		VersionedPlugins: versions,
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts,
				grpc.ForceServerCodecV2(connectorv1.Codec{}),
				grpc.MaxRecvMsgSize(connectorv1.MaxMessageBytes),
				grpc.MaxSendMsgSize(connectorv1.MaxMessageBytes),
				// Large windows and buffers let a batch stream at loopback
				// speed instead of waiting on flow control.
				grpc.InitialWindowSize(16<<20),
				grpc.InitialConnWindowSize(16<<20),
				grpc.ReadBufferSize(256<<10),
				grpc.WriteBufferSize(256<<10))...)
		},
		// go-plugin's own messages: only problems, as plain lines on stderr.
		Logger: hclog.New(&hclog.LoggerOptions{Name: "go-plugin", Level: hclog.Warn, Output: os.Stderr}),
	})
	srv.shutdown()
}

// handshake is the go-plugin handshake of the connector protocol.
func handshake() goplugin.HandshakeConfig {
	return goplugin.HandshakeConfig{
		ProtocolVersion:  connectorv1.ProtocolVersion,
		MagicCookieKey:   connectorv1.MagicCookieKey,
		MagicCookieValue: connectorv1.MagicCookieValue,
	}
}

// grpcPlugin registers the server with go-plugin's gRPC server.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	srv *server
}

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	connectorv1.RegisterPluginServer(s, p.srv)
	return nil
}

func (p *grpcPlugin) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("the connector plugin package serves; the worker's host side dials")
}
