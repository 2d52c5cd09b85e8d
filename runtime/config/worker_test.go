package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

func TestParseWorkerDefaults(t *testing.T) {
	w, err := ParseWorker(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"BootstrapServers", len(w.BootstrapServers), 0},
		{"KeyConverter", w.KeyConverter, "org.apache.kafka.connect.json.JsonConverter"},
		{"ValueConverter", w.ValueConverter, "org.apache.kafka.connect.json.JsonConverter"},
		{"HeaderConverter", w.HeaderConverter, "org.apache.kafka.connect.storage.SimpleHeaderConverter"},
		{"OffsetFlushInterval", w.OffsetFlushInterval, 60 * time.Second},
		{"OffsetFlushTimeout", w.OffsetFlushTimeout, 5 * time.Second},
		{"TaskShutdownGracefulTimeout", w.TaskShutdownGracefulTimeout, 5 * time.Second},
		{"Listeners", strings.Join(w.Listeners, ","), "http://127.0.0.1:8083"},
		{"AdminListeners", w.AdminListeners == nil, true},
		{"ClientOverridePolicy", w.ClientOverridePolicy, "All"},
		{"TopicCreationEnable", w.TopicCreationEnable, true},
		{"ConfigStorageReplicationFactor", w.ConfigStorageReplicationFactor, 3},
		{"OffsetStoragePartitions", w.OffsetStoragePartitions, 25},
		{"StatusStoragePartitions", w.StatusStoragePartitions, 5},
		{"SessionTimeout", w.SessionTimeout, 10 * time.Second},
		{"HeartbeatInterval", w.HeartbeatInterval, 3 * time.Second},
		{"RebalanceTimeout", w.RebalanceTimeout, time.Minute},
		{"ScheduledRebalanceMaxDelay", w.ScheduledRebalanceMaxDelay, 5 * time.Minute},
		{"ConnectProtocol", w.ConnectProtocol, "sessioned"},
		{"ExactlyOnceSourceSupport", w.ExactlyOnceSourceSupport, "disabled"},
		{"TaskBufferBytes", w.TaskBufferBytes, int64(64 << 20)},
		{"ConfigStorageFile", w.ConfigStorageFile, ""},
		{"Resolver", w.Resolver != nil, true},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseWorkerFile(t *testing.T) {
	props, err := LoadProperties("testdata/worker.properties")
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWorker(props)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.BootstrapServers, []string{"broker-1:9092", "broker-2:9092"}) {
		t.Errorf("BootstrapServers = %q", w.BootstrapServers)
	}
	if !slices.Equal(w.PluginPath, []string{"/opt/freshet/plugins", "/usr/local/share/freshet"}) {
		t.Errorf("PluginPath = %q", w.PluginPath)
	}
	if w.KeyConverter != "org.apache.kafka.connect.storage.StringConverter" || w.OffsetFlushInterval != 10*time.Second ||
		w.TaskBufferBytes != 32<<20 || w.Listeners[0] != "http://0.0.0.0:8083" {
		t.Errorf("parsed %+v", w)
	}
	if w.ConfigStorageFile != "/var/lib/freshet/connect.configs" {
		t.Errorf("ConfigStorageFile = %q", w.ConfigStorageFile)
	}
	// Keys WorkerDef does not define stay available, unresolved.
	if w.Props["producer.linger.ms"] != "20" || !strings.Contains(w.Props["sasl.jaas.config"], "${file:") {
		t.Errorf("Props lost pass-through keys: %v", w.Props)
	}
	if !slices.Equal(w.ConfigProviders, []string{"env", "file"}) {
		t.Errorf("ConfigProviders = %q", w.ConfigProviders)
	}
}

func TestParseWorkerErrors(t *testing.T) {
	_, err := ParseWorker(map[string]string{
		"offset.flush.interval.ms":          "abc",
		"listeners":                         "http://localhost:8083,tcp://x:1",
		"bootstrap.servers":                 "kafka",
		"topic.creation.enable":             "yes",
		"freshet.task.buffer.bytes":         "0",
		"rest.advertised.port":              "70000",
		"config.storage.replication.factor": "0",
		"config.providers":                  "vault",
		"config.providers.vault.class":      "com.example.VaultConfigProvider",
		"group.id":                          "fine",
	})
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		"offset.flush.interval.ms: Invalid value abc for configuration offset.flush.interval.ms: Not a number of type LONG",
		"listeners: Invalid value http://localhost:8083,tcp://x:1 for configuration listeners: Listener tcp://x:1 is not of the form http(s)://host:port",
		"bootstrap.servers: Invalid value kafka for configuration bootstrap.servers: Invalid url in bootstrap.servers: kafka (want host:port)",
		"topic.creation.enable: Invalid value yes for configuration topic.creation.enable: Expected value to be either true or false",
		"freshet.task.buffer.bytes: Invalid value 0 for configuration freshet.task.buffer.bytes: Value must be at least 1",
		"rest.advertised.port: Invalid value 70000 for configuration rest.advertised.port: Value must be between 1 and 65535",
		"config.storage.replication.factor: Invalid value 0 for configuration config.storage.replication.factor: Value must be -1 (the broker default) or at least 1",
		"config.providers.vault.class: Invalid value com.example.VaultConfigProvider for configuration config.providers.vault.class: unsupported config provider class",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q", w)
		}
	}
	var ce *sdk.ConfigError
	if !errors.As(err, &ce) {
		t.Errorf("error has no *sdk.ConfigError: %v", err)
	}
	if n := strings.Count(msg, "\n") + 1; n != len(want) {
		t.Errorf("%d problems reported, want %d:\n%s", n, len(want), msg)
	}
}

func TestConfigStorageFileDerived(t *testing.T) {
	for _, tc := range []struct{ offsets, dataDir, set, want string }{
		{"/tmp/connect.offsets", "", "", "/tmp/connect.configs"},
		{"/var/lib/freshet/offsets", "/data", "", "/var/lib/freshet/offsets.configs"},
		{"/x/a.configs", "", "", "/x/a.configs.configs"},
		{"/x/.offsets", "", "", "/x/.offsets.configs"},
		{"", "/data", "", "/data/connect.configs"},
		{"", "", "", ""},
		{"/tmp/connect.offsets", "", "/etc/freshet/configs.json", "/etc/freshet/configs.json"},
	} {
		props := map[string]string{"offset.storage.file.filename": tc.offsets, "freshet.data.dir": tc.dataDir}
		if tc.set != "" {
			props["freshet.config.storage.file"] = tc.set
		}
		w, err := ParseWorker(props)
		if err != nil {
			t.Fatal(err)
		}
		if w.ConfigStorageFile != tc.want {
			t.Errorf("offsets %q data dir %q set %q: ConfigStorageFile = %q, want %q", tc.offsets, tc.dataDir, tc.set, w.ConfigStorageFile, tc.want)
		}
	}
}

func TestCheckModes(t *testing.T) {
	w, err := ParseWorker(map[string]string{"bootstrap.servers": "k:9092", "group.id": "connect-cluster", "config.storage.topic": "connect-configs"})
	if err != nil {
		t.Fatal(err)
	}
	err = w.CheckDistributed()
	if err == nil || !strings.Contains(err.Error(), "offset.storage.topic") || !strings.Contains(err.Error(), "status.storage.topic") ||
		strings.Contains(err.Error(), "config.storage.topic") || strings.Contains(err.Error(), "group.id") {
		t.Errorf("CheckDistributed = %v", err)
	}
	if err := w.CheckStandalone(); err == nil || !strings.Contains(err.Error(), "offset.storage.file.filename") {
		t.Errorf("CheckStandalone = %v", err)
	}
	w.OffsetStorageFile = "/tmp/connect.offsets"
	if err := w.CheckStandalone(); err != nil {
		t.Errorf("CheckStandalone = %v", err)
	}
}

func TestWorkerDefValidatesDefaults(t *testing.T) {
	// Every default must itself be a valid value: format it and parse it back.
	def := WorkerDef()
	m := map[string]string{}
	for _, k := range def.Keys() {
		if k.Default != nil {
			m[k.Name] = sdk.FormatValue(k.Default)
		}
	}
	m["bootstrap.servers"] = "k:9092"
	m["plugin.path"], m["config.providers"] = "/p", "env"
	if _, err := def.Parse(m); err != nil {
		t.Errorf("defaults do not parse: %v", err)
	}
}
