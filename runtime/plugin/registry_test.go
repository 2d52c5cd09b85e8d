package plugin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/plugin"
)

type nopConnector struct{}

func (nopConnector) Start(context.Context, map[string]string) error { return nil }
func (nopConnector) TaskConfigs(int) ([]map[string]string, error)   { return nil, nil }
func (nopConnector) Stop(context.Context) error                     { return nil }
func newNop() sdk.Connector                                         { return nopConnector{} }

func TestRegistry(t *testing.T) {
	r, err := plugin.NewRegistry(
		sdk.Plugin{Name: "file-sink", Aliases: []string{"FileStreamSink", "org.apache.kafka.connect.file.FileStreamSinkConnector"}, Kind: sdk.KindSink, New: newNop},
		sdk.Plugin{Name: "datagen", Kind: sdk.KindSource, New: newNop},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"file-sink", "FileStreamSink", "filestreamsink", "org.apache.kafka.connect.file.FileStreamSinkConnector", "FileStreamSinkConnector"} {
		p, err := r.Lookup(name)
		if err != nil || p.Name != "file-sink" {
			t.Errorf("Lookup(%q) = %q, %v; want file-sink", name, p.Name, err)
		}
	}
	_, err = r.Lookup("com.example.Nope")
	if !errors.Is(err, plugin.ErrUnknownPlugin) || !strings.Contains(err.Error(), "datagen, file-sink") {
		t.Errorf("unknown class error = %v; want ErrUnknownPlugin listing the plugins", err)
	}
	if err := r.Register(sdk.Plugin{Name: "other", Aliases: []string{"FILESTREAMSINK"}, Kind: sdk.KindSink, New: newNop}); err == nil {
		t.Error("registering a taken alias succeeded")
	}
	if err := r.Register(sdk.Plugin{Name: "x", Kind: "both", New: newNop}); err == nil {
		t.Error("registering a plugin of unknown kind succeeded")
	}
}
