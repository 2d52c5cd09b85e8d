package postgres

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Config keys. All but the freshet.* ones are those of Confluent's and Aiven's
// JDBC sinks; Debezium's names for the same settings are accepted as aliases.
const (
	keyURL          = "connection.url"
	keyUser         = "connection.user"
	keyPassword     = "connection.password"
	keyInsertMode   = "insert.mode"
	keyPKMode       = "pk.mode"
	keyPKFields     = "pk.fields"
	keyWhitelist    = "fields.whitelist"
	keyTableFormat  = "table.name.format"
	keyAutoCreate   = "auto.create"
	keyAutoEvolve   = "auto.evolve"
	keyDelete       = "delete.enabled"
	keyBatchSize    = "batch.size"
	keyMaxRetries   = "max.retries"
	keyRetryBackoff = "retry.backoff.ms"
	keyOffsetsTable = "freshet.offsets.table"
	keyName         = "name" // Kafka Connect's connector name, set by the runtime
)

// Insert modes.
const (
	modeInsert = "insert"
	modeUpsert = "upsert"
	modeUpdate = "update"
	modeMulti  = "multi" // Aiven's multi-row INSERT: the same as insert here
)

// Primary key modes.
const (
	pkNone        = "none"
	pkKafka       = "kafka"
	pkRecordKey   = "record_key"
	pkRecordValue = "record_value"
)

// defaultOffsetsTable is where the sink keeps its Kafka offsets.
const defaultOffsetsTable = "freshet_sink_offsets"

// kafkaPKNames are the default column names of pk.mode=kafka, as in Kafka
// Connect's JDBC sink.
var kafkaPKNames = []string{"__connect_topic", "__connect_partition", "__connect_offset"}

// configDef declares the sink's keys.
func configDef() *sdk.ConfigDef {
	const (
		gConn   = "Connection"
		gWrite  = "Writes"
		gFields = "Data Mapping"
		gDDL    = "DDL Support"
		gRetry  = "Retries"
	)
	return sdk.WithLineage(sdk.NewConfigDef().
		String(keyURL, sdk.Required, "JDBC connection URL (jdbc:postgresql://host:port/db?user=…) or a "+
			"PostgreSQL URL (postgres://user:pass@host:port/db?sslmode=…). JDBC parameters with a libpq "+
			"meaning (user, password, ssl, sslmode, currentSchema, ApplicationName, connectTimeout) are "+
			"translated; JDBC driver tuning parameters are ignored",
			sdk.WithImportance(sdk.High), sdk.InGroup(gConn), sdk.Check(sdk.NonEmpty())).
		String(keyUser, nil, "JDBC connection user; overrides the user in the URL",
			sdk.WithImportance(sdk.High), sdk.InGroup(gConn), sdk.Alias("connection.username")).
		Password(keyPassword, nil, "JDBC connection password; overrides the password in the URL",
			sdk.WithImportance(sdk.High), sdk.InGroup(gConn)).
		String(keyInsertMode, modeInsert, "The insertion mode to use: insert (INSERT; duplicates of a "+
			"primary key are record errors), upsert (INSERT … ON CONFLICT (pk) DO UPDATE), or update "+
			"(UPDATE … WHERE pk; a missing row is left missing). Aiven's multi is accepted as insert",
			sdk.WithImportance(sdk.High), sdk.InGroup(gWrite),
			sdk.Check(sdk.OneOf(modeInsert, modeUpsert, modeUpdate, modeMulti))).
		Int(keyBatchSize, 3000, "Maximum number of rows written by one statement. A Put is always one "+
			"transaction, whatever its size",
			sdk.InGroup(gWrite), sdk.Check(sdk.AtLeast(1))).
		Bool(keyDelete, false, "Whether to treat null record values as deletes. Requires pk.mode to be record_key",
			sdk.InGroup(gWrite)).
		String(keyTableFormat, "${topic}", "A format string for the destination table name, which may "+
			"contain ${topic} for the originating topic name. A dot outside ${topic} separates the schema "+
			"from the table (my_schema.${topic}); dots inside the topic name are kept in the table name",
			sdk.InGroup(gWrite), sdk.Check(sdk.NonEmpty()), sdk.Alias("collection.name.format")).
		String(keyPKMode, pkNone, "The primary key mode: none, kafka (topic, partition and offset), "+
			"record_key (fields of the record key, or the key itself when it is a primitive) or "+
			"record_value (fields of the record value)",
			sdk.WithImportance(sdk.High), sdk.InGroup(gFields), sdk.Alias("primary.key.mode"),
			sdk.Check(sdk.OneOf(pkNone, pkKafka, pkRecordKey, pkRecordValue))).
		List(keyPKFields, nil, "Primary key column names. kafka: three names for topic, partition and "+
			"offset (default __connect_topic,__connect_partition,__connect_offset). record_key: the key "+
			"fields to use (default all), or exactly one column name for a primitive key. record_value: "+
			"the value fields to use (default all)",
			sdk.WithImportance(sdk.Medium), sdk.InGroup(gFields), sdk.Alias("primary.key.fields")).
		List(keyWhitelist, nil, "Record value fields to write, comma separated; empty means all. "+
			"Primary key fields are always written",
			sdk.InGroup(gFields)).
		Bool(keyAutoCreate, false, "Whether to create a missing destination table (CREATE TABLE) from the "+
			"record schema, with the primary key of pk.mode",
			sdk.InGroup(gDDL)).
		Bool(keyAutoEvolve, false, "Whether to add columns (ALTER TABLE … ADD COLUMN) for record fields "+
			"the table lacks. Columns are only added, as nullable; never dropped or changed",
			sdk.InGroup(gDDL)).
		Int(keyMaxRetries, 10, "How many times a batch is retried within one Put after a retriable error "+
			"(lost connection, serialization failure, deadlock) before the error is returned to the runtime",
			sdk.InGroup(gRetry), sdk.Check(sdk.AtLeast(0))).
		Int(keyRetryBackoff, 3000, "The time in milliseconds to wait before a retry",
			sdk.InGroup(gRetry), sdk.Check(sdk.AtLeast(0))).
		String(keyOffsetsTable, defaultOffsetsTable, "Table (optionally schema-qualified) in which the sink "+
			"stores each partition's next Kafka offset in the same transaction as the rows; created if "+
			"missing. Freshet only",
			sdk.WithImportance(sdk.Low), sdk.InGroup(gWrite), sdk.Check(sdk.NonEmpty())))
}

// config is the parsed config of a task.
type config struct {
	conn          *pgx.ConnConfig
	connector     string
	insertMode    string
	pkMode        string
	pkFields      []string
	whitelist     map[string]bool // nil: every field
	table         tableFormat
	offsetsTable  tableID
	autoCreate    bool
	autoEvolve    bool
	deleteEnabled bool
	batchSize     int
	maxRetries    int
	retryBackoff  time.Duration
	// lineage adds the _freshet_* columns (see lineage.go); lin holds the
	// connector's name and version from the task config.
	lineage bool
	lin     sdk.Lineage
}

// parseConfig parses and validates a connector or task config. The error
// joins one *sdk.ConfigError per bad key.
func parseConfig(m map[string]string) (*config, error) {
	v, err := configDef().Parse(m)
	if err != nil {
		return nil, err
	}
	c := &config{
		connector:     m[keyName],
		insertMode:    strings.ToLower(v.String(keyInsertMode)),
		pkMode:        strings.ToLower(v.String(keyPKMode)),
		pkFields:      v.List(keyPKFields),
		autoCreate:    v.Bool(keyAutoCreate),
		autoEvolve:    v.Bool(keyAutoEvolve),
		deleteEnabled: v.Bool(keyDelete),
		batchSize:     v.Int(keyBatchSize),
		maxRetries:    v.Int(keyMaxRetries),
		retryBackoff:  time.Duration(v.Int(keyRetryBackoff)) * time.Millisecond,
		lineage:       v.Bool(sdk.LineageEnableKey),
		lin:           sdk.LineageFor(m),
	}
	if c.insertMode == modeMulti {
		c.insertMode = modeInsert
	}
	if wl := v.List(keyWhitelist); len(wl) > 0 {
		c.whitelist = make(map[string]bool, len(wl))
		for _, f := range wl {
			c.whitelist[f] = true
		}
	}
	var errs []error
	bad := func(key, msg string) { errs = append(errs, &sdk.ConfigError{Key: key, Message: msg}) }
	if c.table, err = parseTableFormat(v.String(keyTableFormat)); err != nil {
		bad(keyTableFormat, err.Error())
	}
	if c.offsetsTable, err = parseTableID(v.String(keyOffsetsTable)); err != nil {
		bad(keyOffsetsTable, err.Error())
	}
	if c.conn, err = parseConnURL(v.String(keyURL), v.String(keyUser), v.String(keyPassword)); err != nil {
		bad(keyURL, err.Error())
	}
	if c.pkMode == pkNone && (c.insertMode == modeUpsert || c.insertMode == modeUpdate) {
		bad(keyPKMode, fmt.Sprintf("insert.mode=%s needs a primary key: set pk.mode to kafka, record_key or record_value", c.insertMode))
	}
	if c.deleteEnabled && c.pkMode != pkRecordKey {
		bad(keyDelete, "delete.enabled=true requires pk.mode=record_key")
	}
	if c.pkMode == pkKafka {
		switch len(c.pkFields) {
		case 0:
			c.pkFields = kafkaPKNames
		case 3:
		default:
			bad(keyPKFields, "pk.mode=kafka takes exactly three names (topic, partition, offset columns)")
		}
	}
	if c.pkMode == pkNone && len(c.pkFields) > 0 {
		bad(keyPKFields, "pk.fields is set but pk.mode is none")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// jdbcParams translates the JDBC driver's URL parameters that have a libpq
// equivalent. Parameters in neither this map nor libpqParams are driver
// tuning knobs (reWriteBatchedInserts, prepareThreshold, …) and are dropped:
// passed on, pgx would send them to the server as settings, which fails.
var jdbcParams = map[string]string{
	"user":            "user",
	"password":        "password",
	"sslmode":         "sslmode",
	"sslrootcert":     "sslrootcert",
	"sslcert":         "sslcert",
	"sslkey":          "sslkey",
	"currentSchema":   "search_path",
	"ApplicationName": "application_name",
	"applicationName": "application_name",
	"connectTimeout":  "connect_timeout",
	"options":         "options",
	"loginTimeout":    "connect_timeout",
}

// libpqParams are kept as they are.
var libpqParams = map[string]bool{
	"host": true, "port": true, "dbname": true, "user": true, "password": true,
	"sslmode": true, "sslrootcert": true, "sslcert": true, "sslkey": true, "sslpassword": true,
	"sslsni": true, "connect_timeout": true, "application_name": true, "options": true,
	"target_session_attrs": true, "search_path": true, "timezone": true, "TimeZone": true,
	"service": true, "passfile": true,
}

// parseConnURL turns connection.url (JDBC or libpq form) and the optional
// user and password into a pgx config. Errors never contain the password.
func parseConnURL(raw, user, password string) (*pgx.ConnConfig, error) {
	s := strings.TrimSpace(raw)
	jdbc := strings.HasPrefix(s, "jdbc:")
	s = strings.TrimPrefix(s, "jdbc:")
	switch {
	case strings.HasPrefix(s, "postgresql://"), strings.HasPrefix(s, "postgres://"):
	case strings.HasPrefix(s, "postgresql:") && jdbc:
		// jdbc:postgresql:database means localhost:5432.
		s = "postgresql://localhost/" + strings.TrimPrefix(s, "postgresql:")
	default:
		return nil, errors.New("expected jdbc:postgresql://host:port/database or postgres://host:port/database")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a valid URL") // url.Error would quote the password
	}
	q := u.Query()
	out := url.Values{}
	ssl := false
	for k, vs := range q {
		if len(vs) == 0 {
			continue
		}
		val := vs[len(vs)-1]
		switch {
		case k == "ssl":
			ssl = strings.EqualFold(val, "true") || val == ""
		case k == "targetServerType":
			out.Set("target_session_attrs", jdbcTargetServerType(val))
		case jdbcParams[k] != "":
			out.Set(jdbcParams[k], val)
		case libpqParams[k]:
			out.Set(k, val)
		}
	}
	if ssl && out.Get("sslmode") == "" {
		out.Set("sslmode", "require")
	}
	u.RawQuery = out.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("parse connection URL %s: %s", redactURL(u), redactErr(err, u))
	}
	if user != "" {
		cfg.User = user
	}
	if password != "" {
		cfg.Password = password
	}
	return cfg, nil
}

func jdbcTargetServerType(v string) string {
	switch strings.ToLower(v) {
	case "primary", "master":
		return "read-write"
	case "secondary", "slave":
		return "standby"
	case "preferprimary", "prefersecondary":
		return "prefer-standby"
	default:
		return "any"
	}
}

func redactURL(u *url.URL) string {
	c := *u
	if _, ok := c.User.Password(); ok {
		c.User = url.UserPassword(c.User.Username(), "xxxxx")
	}
	q := c.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		c.RawQuery = q.Encode()
	}
	return c.Redacted()
}

func redactErr(err error, u *url.URL) string {
	msg := err.Error()
	if p, ok := u.User.Password(); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	if p := u.Query().Get("password"); p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return msg
}
