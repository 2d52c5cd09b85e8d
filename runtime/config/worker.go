package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Worker config keys that Freshet reads itself. Client keys (security.*,
// sasl.*, ssl.*, producer.*, consumer.*, admin.*) are read by runtime/kafka
// from Worker.Props.
const (
	KeyBootstrapServers            = "bootstrap.servers"
	KeyGroupID                     = "group.id"
	KeyKeyConverter                = "key.converter"
	KeyValueConverter              = "value.converter"
	KeyHeaderConverter             = "header.converter"
	KeyOffsetStorageFile           = "offset.storage.file.filename"
	KeyOffsetFlushInterval         = "offset.flush.interval.ms"
	KeyOffsetFlushTimeout          = "offset.flush.timeout.ms"
	KeyTaskShutdownGracefulTimeout = "task.shutdown.graceful.timeout.ms"
	KeyListeners                   = "listeners"
	KeyAdminListeners              = "admin.listeners"
	KeyRESTAdvertisedHostName      = "rest.advertised.host.name"
	KeyRESTAdvertisedPort          = "rest.advertised.port"
	KeyRESTAdvertisedListener      = "rest.advertised.listener"
	KeyCORSAllowOrigin             = "access.control.allow.origin"
	KeyCORSAllowMethods            = "access.control.allow.methods"
	KeyPluginPath                  = "plugin.path"
	KeyConfigProviders             = "config.providers"
	KeyClientOverridePolicy        = "connector.client.config.override.policy"
	KeyTopicCreationEnable         = "topic.creation.enable"
	KeyTopicTrackingEnable         = "topic.tracking.enable"
	KeyTopicTrackingAllowReset     = "topic.tracking.allow.reset"

	KeyConfigStorageTopic             = "config.storage.topic"
	KeyConfigStorageReplicationFactor = "config.storage.replication.factor"
	KeyOffsetStorageTopic             = "offset.storage.topic"
	KeyOffsetStoragePartitions        = "offset.storage.partitions"
	KeyOffsetStorageReplicationFactor = "offset.storage.replication.factor"
	KeyStatusStorageTopic             = "status.storage.topic"
	KeyStatusStoragePartitions        = "status.storage.partitions"
	KeyStatusStorageReplicationFactor = "status.storage.replication.factor"
	KeySessionTimeout                 = "session.timeout.ms"
	KeyHeartbeatInterval              = "heartbeat.interval.ms"
	KeyRebalanceTimeout               = "rebalance.timeout.ms"
	KeyWorkerSyncTimeout              = "worker.sync.timeout.ms"
	KeyWorkerUnsyncBackoff            = "worker.unsync.backoff.ms"
	KeyScheduledRebalanceMaxDelay     = "scheduled.rebalance.max.delay.ms"
	KeyConnectProtocol                = "connect.protocol"
	KeyExactlyOnceSourceSupport       = "exactly.once.source.support"

	KeyTaskBufferBytes   = "freshet.task.buffer.bytes"
	KeyConfigStorageFile = "freshet.config.storage.file"
	KeyDataDir           = "freshet.data.dir"
	KeyRESTAuthFile      = "freshet.rest.auth.file"
	KeyRESTTLSCert       = "freshet.rest.tls.cert.file"
	KeyRESTTLSKey        = "freshet.rest.tls.key.file"
	KeyPprofEnable       = "freshet.pprof.enable"
	KeyMetricsEnable     = "freshet.metrics.enable"
)

// Defaults that differ from Kafka Connect's, or that Kafka Connect lacks.
const (
	// DefaultListener binds loopback only: Kafka Connect's http://:8083
	// serves every interface, which exposes an unauthenticated API.
	DefaultListener = "http://127.0.0.1:8083"
	// DefaultConverter stands in for key.converter and value.converter,
	// which Kafka Connect requires.
	DefaultConverter = "org.apache.kafka.connect.json.JsonConverter"
	// DefaultTaskBufferBytes bounds the records a task holds (64 MiB).
	DefaultTaskBufferBytes int64 = 64 << 20
)

const (
	groupCommon      = "Common"
	groupREST        = "REST"
	groupDistributed = "Distributed"
	groupFreshet     = "Freshet"
)

// WorkerDef returns the definition of every worker key Freshet honours, with
// Kafka Connect's defaults except: bootstrap.servers defaults to empty (the
// demo then starts an embedded broker), key.converter and value.converter
// default to JsonConverter instead of being required, and listeners binds
// loopback (DefaultListener). Keys it does not define (client settings,
// producer.*, consumer.*, admin.*) pass through in Worker.Props.
func WorkerDef() *sdk.ConfigDef {
	in := sdk.InGroup
	high := sdk.WithImportance(sdk.High)
	low := sdk.WithImportance(sdk.Low)
	nonNeg := sdk.Check(sdk.AtLeast(0))
	return sdk.NewConfigDef().
		List(KeyBootstrapServers, []string{}, "Kafka brokers as host:port, comma separated. Empty: `freshet demo` starts an embedded broker; other commands require it.", in(groupCommon), high, sdk.Check(hostPorts)).
		String(KeyGroupID, nil, "The Connect cluster's group; required in distributed mode. Must not collide with a consumer group.", in(groupDistributed), high).
		String(KeyKeyConverter, DefaultConverter, "Converter class for record keys, unless a connector overrides it.", in(groupCommon), high, sdk.Check(sdk.NonEmpty())).
		String(KeyValueConverter, DefaultConverter, "Converter class for record values, unless a connector overrides it.", in(groupCommon), high, sdk.Check(sdk.NonEmpty())).
		String(KeyHeaderConverter, "org.apache.kafka.connect.storage.SimpleHeaderConverter", "Converter class for record headers.", in(groupCommon), low, sdk.Check(sdk.NonEmpty())).
		String(KeyOffsetStorageFile, "", "Standalone mode: the file that stores source connector offsets.", in(groupCommon)).
		Long(KeyOffsetFlushInterval, int64(60000), "How often source offsets are flushed and sink offsets committed, in ms.", in(groupCommon), low, sdk.Check(sdk.AtLeast(1))).
		Long(KeyOffsetFlushTimeout, int64(5000), "How long an offset flush may take before it is cancelled, in ms.", in(groupCommon), low, nonNeg).
		Long(KeyTaskShutdownGracefulTimeout, int64(5000), "How long tasks get to flush and stop on shutdown, in ms.", in(groupCommon), low, nonNeg).
		List(KeyListeners, []string{DefaultListener}, "REST listeners as http(s)://host:port, comma separated. An empty host (http://:8083) binds every interface; the default binds loopback only.", in(groupREST), low, sdk.Check(sdk.NonEmpty(), listenerURLs)).
		List(KeyAdminListeners, nil, "Listeners for the /admin endpoints; unset: same as listeners.", in(groupREST), low, sdk.Check(listenerURLs)).
		String(KeyRESTAdvertisedHostName, nil, "Host name other workers and the worker_id use to reach this worker.", in(groupREST), low).
		Int(KeyRESTAdvertisedPort, nil, "Port other workers use to reach this worker.", in(groupREST), low, sdk.Check(sdk.Between(1, 65535))).
		String(KeyRESTAdvertisedListener, nil, "Protocol (http or https) other workers use to reach this worker.", in(groupREST), low, sdk.Check(sdk.OneOf("http", "https"))).
		String(KeyCORSAllowOrigin, "", "Value of Access-Control-Allow-Origin for REST responses; empty disables CORS.", in(groupREST), low).
		String(KeyCORSAllowMethods, "", "Methods allowed for cross-origin requests.", in(groupREST), low).
		List(KeyPluginPath, []string{}, "Directories holding plugin binaries, comma separated. Config providers are not resolved here.", in(groupCommon), low).
		List(KeyConfigProviders, []string{}, "Names of config providers (e.g. env,file,directory), each with config.providers.<name>.class.", in(groupCommon), low).
		String(KeyClientOverridePolicy, "All", "Which producer.override.*, consumer.override.* and admin.override.* keys connectors may set: None, Principal or All.", in(groupCommon), low, sdk.Check(sdk.OneOf("None", "Principal", "All"))).
		Bool(KeyTopicCreationEnable, true, "Let source connectors create their topics (topic.creation.* in connector configs).", in(groupCommon), low).
		Bool(KeyTopicTrackingEnable, true, "Track the topics each connector uses.", in(groupCommon), low).
		Bool(KeyTopicTrackingAllowReset, true, "Allow resetting a connector's tracked topics.", in(groupCommon), low).
		String(KeyConfigStorageTopic, nil, "Distributed mode: the compacted, single-partition topic of connector configs.", in(groupDistributed), high).
		Int(KeyConfigStorageReplicationFactor, 3, "Replication factor of the config topic; -1 uses the broker default.", in(groupDistributed), low, sdk.Check(replicationFactor)).
		String(KeyOffsetStorageTopic, nil, "Distributed mode: the compacted topic of source connector offsets.", in(groupDistributed), high).
		Int(KeyOffsetStoragePartitions, 25, "Partitions of the offsets topic; -1 uses the broker default.", in(groupDistributed), low, sdk.Check(partitionCount)).
		Int(KeyOffsetStorageReplicationFactor, 3, "Replication factor of the offsets topic; -1 uses the broker default.", in(groupDistributed), low, sdk.Check(replicationFactor)).
		String(KeyStatusStorageTopic, nil, "Distributed mode: the compacted topic of connector and task statuses.", in(groupDistributed), high).
		Int(KeyStatusStoragePartitions, 5, "Partitions of the status topic; -1 uses the broker default.", in(groupDistributed), low, sdk.Check(partitionCount)).
		Int(KeyStatusStorageReplicationFactor, 3, "Replication factor of the status topic; -1 uses the broker default.", in(groupDistributed), low, sdk.Check(replicationFactor)).
		Int(KeySessionTimeout, 10000, "Distributed mode: how long the group waits for a silent worker before removing it, in ms.", in(groupDistributed), low, sdk.Check(sdk.AtLeast(1))).
		Int(KeyHeartbeatInterval, 3000, "Distributed mode: heartbeat interval to the group coordinator, in ms.", in(groupDistributed), low, sdk.Check(sdk.AtLeast(1))).
		Int(KeyRebalanceTimeout, 60000, "Distributed mode: how long a rebalance may take, in ms.", in(groupDistributed), low, sdk.Check(sdk.AtLeast(1))).
		Int(KeyWorkerSyncTimeout, 3000, "Distributed mode: how long to wait to catch up with the config topic before leaving the group, in ms.", in(groupDistributed), low, nonNeg).
		Int(KeyWorkerUnsyncBackoff, 300000, "Distributed mode: how long to wait before rejoining after failing to catch up, in ms.", in(groupDistributed), low, nonNeg).
		Int(KeyScheduledRebalanceMaxDelay, 300000, "Distributed mode: how long a departed worker's work waits for it to return before moving, in ms.", in(groupDistributed), low, nonNeg).
		String(KeyConnectProtocol, "sessioned", "Distributed mode: group sub-protocol: eager, compatible or sessioned.", in(groupDistributed), low, sdk.Check(sdk.OneOf("eager", "compatible", "sessioned"))).
		String(KeyExactlyOnceSourceSupport, "disabled", "Distributed mode: exactly-once source support: disabled, preparing or enabled.", in(groupDistributed), low, sdk.Check(sdk.OneOf("disabled", "preparing", "enabled"))).
		Long(KeyTaskBufferBytes, DefaultTaskBufferBytes, "Bytes of records a task may hold before fetching pauses.", in(groupFreshet), sdk.Check(sdk.AtLeast(1))).
		String(KeyConfigStorageFile, "", "Standalone mode: the file of connector configs and target states. Empty: connect.configs beside offset.storage.file.filename (named after it), else in freshet.data.dir.", in(groupFreshet)).
		String(KeyDataDir, "", "Directory for Freshet's local state. Empty: whatever needs one decides (the demo uses a temporary directory).", in(groupFreshet)).
		String(KeyRESTAuthFile, "", "File of REST credentials (token or basic, each with a role: viewer, operator, admin; make one line with `freshet connectors hash-secret`). Empty: no authentication, so keep the listener on loopback.", in(groupFreshet)).
		String(KeyRESTTLSCert, "", "PEM certificate that https:// listeners serve.", in(groupFreshet)).
		String(KeyRESTTLSKey, "", "PEM private key of freshet.rest.tls.cert.file.", in(groupFreshet)).
		Bool(KeyPprofEnable, false, "Serve Go's pprof profiles at /debug/pprof/ (admin role).", in(groupFreshet)).
		Bool(KeyMetricsEnable, true, "Collect metrics and freshness (GET /metrics, the freshness object in statuses). Off only to measure their cost.", in(groupFreshet))
}

// Worker is a parsed worker config. Durations come from the *.ms keys.
type Worker struct {
	BootstrapServers            []string
	GroupID                     string
	KeyConverter                string
	ValueConverter              string
	HeaderConverter             string
	OffsetStorageFile           string
	OffsetFlushInterval         time.Duration
	OffsetFlushTimeout          time.Duration
	TaskShutdownGracefulTimeout time.Duration

	Listeners              []string
	AdminListeners         []string // nil: same as Listeners
	RESTAdvertisedHostName string
	RESTAdvertisedPort     int // 0: unset
	RESTAdvertisedListener string
	CORSAllowOrigin        string
	CORSAllowMethods       string

	PluginPath           []string
	ConfigProviders      []string
	ClientOverridePolicy string // None, Principal or All, as written in Def
	TopicCreationEnable  bool
	TopicTrackingEnable  bool
	TopicTrackingReset   bool

	ConfigStorageTopic             string
	ConfigStorageReplicationFactor int
	OffsetStorageTopic             string
	OffsetStoragePartitions        int
	OffsetStorageReplicationFactor int
	StatusStorageTopic             string
	StatusStoragePartitions        int
	StatusStorageReplicationFactor int
	SessionTimeout                 time.Duration
	HeartbeatInterval              time.Duration
	RebalanceTimeout               time.Duration
	WorkerSyncTimeout              time.Duration
	WorkerUnsyncBackoff            time.Duration
	ScheduledRebalanceMaxDelay     time.Duration
	ConnectProtocol                string
	ExactlyOnceSourceSupport       string

	TaskBufferBytes   int64
	ConfigStorageFile string // derived when the key is unset; see WorkerDef
	DataDir           string
	RESTAuthFile      string
	RESTTLSCert       string
	RESTTLSKey        string
	PprofEnable       bool
	MetricsEnable     bool

	// Resolver resolves config-provider references with the providers
	// declared in config.providers.
	Resolver *Resolver
	// Props is the whole property map, unresolved, including keys WorkerDef
	// does not define: client settings and producer.*, consumer.*, admin.*
	// prefixed keys are passed on to Kafka clients from here.
	Props map[string]string
}

// ParseWorker parses a worker property map. It returns every problem at
// once, joined; each names its key and what is wrong, in Kafka Connect's
// wording. Config-provider references in props are not resolved here.
func ParseWorker(props map[string]string) (Worker, error) {
	def := WorkerDef()
	v, err := def.Parse(props)
	errs := []error{err}
	res, rerr := NewResolver(props)
	errs = append(errs, rerr)
	if err := errors.Join(errs...); err != nil {
		return Worker{}, fmt.Errorf("worker config: %w", err)
	}
	w := Worker{
		BootstrapServers:            v.List(KeyBootstrapServers),
		GroupID:                     v.String(KeyGroupID),
		KeyConverter:                v.String(KeyKeyConverter),
		ValueConverter:              v.String(KeyValueConverter),
		HeaderConverter:             v.String(KeyHeaderConverter),
		OffsetStorageFile:           v.String(KeyOffsetStorageFile),
		OffsetFlushInterval:         v.Millis(KeyOffsetFlushInterval),
		OffsetFlushTimeout:          v.Millis(KeyOffsetFlushTimeout),
		TaskShutdownGracefulTimeout: v.Millis(KeyTaskShutdownGracefulTimeout),

		Listeners:              v.List(KeyListeners),
		AdminListeners:         v.List(KeyAdminListeners),
		RESTAdvertisedHostName: v.String(KeyRESTAdvertisedHostName),
		RESTAdvertisedPort:     v.Int(KeyRESTAdvertisedPort),
		RESTAdvertisedListener: strings.ToLower(v.String(KeyRESTAdvertisedListener)),
		CORSAllowOrigin:        v.String(KeyCORSAllowOrigin),
		CORSAllowMethods:       v.String(KeyCORSAllowMethods),

		PluginPath:           v.List(KeyPluginPath),
		ConfigProviders:      v.List(KeyConfigProviders),
		ClientOverridePolicy: canonical(v.String(KeyClientOverridePolicy), "None", "Principal", "All"),
		TopicCreationEnable:  v.Bool(KeyTopicCreationEnable),
		TopicTrackingEnable:  v.Bool(KeyTopicTrackingEnable),
		TopicTrackingReset:   v.Bool(KeyTopicTrackingAllowReset),

		ConfigStorageTopic:             v.String(KeyConfigStorageTopic),
		ConfigStorageReplicationFactor: v.Int(KeyConfigStorageReplicationFactor),
		OffsetStorageTopic:             v.String(KeyOffsetStorageTopic),
		OffsetStoragePartitions:        v.Int(KeyOffsetStoragePartitions),
		OffsetStorageReplicationFactor: v.Int(KeyOffsetStorageReplicationFactor),
		StatusStorageTopic:             v.String(KeyStatusStorageTopic),
		StatusStoragePartitions:        v.Int(KeyStatusStoragePartitions),
		StatusStorageReplicationFactor: v.Int(KeyStatusStorageReplicationFactor),
		SessionTimeout:                 intMillis(v.Int(KeySessionTimeout)),
		HeartbeatInterval:              intMillis(v.Int(KeyHeartbeatInterval)),
		RebalanceTimeout:               intMillis(v.Int(KeyRebalanceTimeout)),
		WorkerSyncTimeout:              intMillis(v.Int(KeyWorkerSyncTimeout)),
		WorkerUnsyncBackoff:            intMillis(v.Int(KeyWorkerUnsyncBackoff)),
		ScheduledRebalanceMaxDelay:     intMillis(v.Int(KeyScheduledRebalanceMaxDelay)),
		ConnectProtocol:                strings.ToLower(v.String(KeyConnectProtocol)),
		ExactlyOnceSourceSupport:       strings.ToLower(v.String(KeyExactlyOnceSourceSupport)),

		TaskBufferBytes:   v.Long(KeyTaskBufferBytes),
		ConfigStorageFile: v.String(KeyConfigStorageFile),
		DataDir:           v.String(KeyDataDir),
		RESTAuthFile:      v.String(KeyRESTAuthFile),
		RESTTLSCert:       v.String(KeyRESTTLSCert),
		RESTTLSKey:        v.String(KeyRESTTLSKey),
		PprofEnable:       v.Bool(KeyPprofEnable),
		MetricsEnable:     v.Bool(KeyMetricsEnable),

		Resolver: res,
		Props:    maps.Clone(props),
	}
	if w.ConfigStorageFile == "" {
		w.ConfigStorageFile = derivedConfigFile(w.OffsetStorageFile, w.DataDir)
	}
	return w, nil
}

// CheckDistributed reports what distributed mode needs and w lacks.
func (w Worker) CheckDistributed() error {
	var errs []error
	for _, k := range []struct{ key, val, example string }{
		{KeyBootstrapServers, strings.Join(w.BootstrapServers, ","), "kafka:9092"},
		{KeyGroupID, w.GroupID, "connect-cluster"},
		{KeyConfigStorageTopic, w.ConfigStorageTopic, "connect-configs"},
		{KeyOffsetStorageTopic, w.OffsetStorageTopic, "connect-offsets"},
		{KeyStatusStorageTopic, w.StatusStorageTopic, "connect-status"},
	} {
		if k.val == "" {
			errs = append(errs, &sdk.ConfigError{Key: k.key, Message: fmt.Sprintf("Missing required configuration %q for distributed mode: set it, e.g. %s=%s", k.key, k.key, k.example)})
		}
	}
	return errors.Join(errs...)
}

// CheckStandalone reports what standalone mode needs and w lacks.
func (w Worker) CheckStandalone() error {
	if w.OffsetStorageFile == "" {
		return &sdk.ConfigError{Key: KeyOffsetStorageFile, Message: fmt.Sprintf("Missing required configuration %q for standalone mode: set it, e.g. %s=/var/lib/freshet/connect.offsets", KeyOffsetStorageFile, KeyOffsetStorageFile)}
	}
	return nil
}

// derivedConfigFile names the standalone configs file after the offsets file
// ("connect.offsets" → "connect.configs", same directory), so that workers
// sharing a directory with different offsets files do not share configs.
func derivedConfigFile(offsetsFile, dataDir string) string {
	if offsetsFile != "" {
		dir, base := filepath.Split(offsetsFile)
		stem := strings.TrimSuffix(base, filepath.Ext(base))
		if stem == "" {
			stem = base
		}
		name := stem + ".configs"
		if name == base {
			name = base + ".configs"
		}
		return filepath.Join(dir, name)
	}
	if dataDir != "" {
		return filepath.Join(dataDir, "connect.configs")
	}
	return ""
}

func intMillis(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// canonical returns the spelling in allowed that equals s ignoring case.
func canonical(s string, allowed ...string) string {
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a
		}
	}
	return s
}

func hostPorts(v any) error {
	for _, hp := range asList(v) {
		host, port, err := net.SplitHostPort(hp)
		if err != nil || host == "" || !validPort(port) {
			return fmt.Errorf("Invalid url in bootstrap.servers: %s (want host:port)", hp)
		}
	}
	return nil
}

func listenerURLs(v any) error {
	for _, l := range asList(v) {
		u, err := url.Parse(l)
		ok := err == nil && (strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")) && u.Path == ""
		if ok {
			_, port, err := net.SplitHostPort(u.Host)
			ok = err == nil && validPort(port)
		}
		if !ok {
			return fmt.Errorf("Listener %s is not of the form http(s)://host:port (an empty host binds every interface)", l)
		}
	}
	return nil
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}

func replicationFactor(v any) error {
	if n, _ := v.(int); n == 0 || n < -1 {
		return errors.New("Value must be -1 (the broker default) or at least 1")
	}
	return nil
}

func partitionCount(v any) error {
	if n, _ := v.(int); n == 0 || n < -1 {
		return errors.New("Value must be -1 (the broker default) or at least 1")
	}
	return nil
}

func asList(v any) []string {
	l, _ := v.([]string)
	return l
}
