package redis

import (
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Config keys.
const (
	keyURI          = "redis.uri"
	keyUser         = "redis.username"
	keyPassword     = "redis.password"
	keyType         = "redis.type"
	keyTemplate     = "redis.key.template"
	keyTTL          = "redis.key.ttl"
	keyMaxLen       = "redis.stream.maxlen"
	keyBatchSize    = "batch.size"
	keyMaxRetries   = "max.retries"
	keyRetryBackoff = "retry.backoff.ms"
	keyOffsetsKey   = "freshet.offsets.key"
	keyName         = "name" // Kafka Connect's connector name, set by the runtime
)

// Data structures.
const (
	typeHash   = "hash"
	typeString = "string"
	typeStream = "stream"
)

func configDef() *sdk.ConfigDef {
	const (
		gConn  = "Connection"
		gWrite = "Writes"
		gRetry = "Retries"
	)
	return sdk.WithLineage(sdk.NewConfigDef().
		String(keyURI, "redis://localhost:6379", "Redis server: redis://[user:password@]host:port[/db], "+
			"rediss://… for TLS, or host:port",
			sdk.WithImportance(sdk.High), sdk.InGroup(gConn), sdk.Check(sdk.NonEmpty())).
		String(keyUser, nil, "ACL user name; overrides the one in redis.uri",
			sdk.InGroup(gConn)).
		Password(keyPassword, nil, "Password; overrides the one in redis.uri",
			sdk.WithImportance(sdk.High), sdk.InGroup(gConn)).
		String(keyType, typeHash, "Data structure each record is written as: hash (the value's fields "+
			"become the hash's fields, replacing the hash), string (SET of the value: strings and bytes "+
			"as they are, structs, maps and arrays as JSON) or stream (XADD of the value's fields)",
			sdk.WithImportance(sdk.High), sdk.InGroup(gWrite), sdk.Check(sdk.OneOf(typeHash, typeString, typeStream))).
		String(keyTemplate, nil, "Key of each record, with ${topic}, ${partition} and ${key} (the "+
			"record key; a struct or map key gives its field values joined by ':'). Default: "+
			"${topic}:${key} for hash and string, ${topic} for stream",
			sdk.WithImportance(sdk.High), sdk.InGroup(gWrite)).
		Long(keyTTL, int64(0), "Time to live of written keys, in seconds; 0 keeps them forever",
			sdk.InGroup(gWrite), sdk.Check(sdk.AtLeast(0))).
		Long(keyMaxLen, int64(0), "Approximate maximum length of streams (XADD MAXLEN ~); 0 for no limit",
			sdk.InGroup(gWrite), sdk.Check(sdk.AtLeast(0))).
		Int(keyBatchSize, 1000, "Most records written by one MULTI/EXEC transaction; a Put may run several",
			sdk.InGroup(gWrite), sdk.Check(sdk.AtLeast(1))).
		Int(keyMaxRetries, 10, "How many times a transaction is retried within one Put after a retriable "+
			"error (lost connection, server loading) before the error is returned to the runtime",
			sdk.InGroup(gRetry), sdk.Check(sdk.AtLeast(0))).
		Int(keyRetryBackoff, 1000, "The time in milliseconds to wait before a retry",
			sdk.InGroup(gRetry), sdk.Check(sdk.AtLeast(0))).
		String(keyOffsetsKey, "freshet:offsets:${connector}", "Hash in which the sink stores each "+
			"partition's next Kafka offset, in the same MULTI/EXEC as the data; ${connector} is the connector name",
			sdk.WithImportance(sdk.Low), sdk.InGroup(gWrite), sdk.Check(sdk.NonEmpty())))
}

// config is the parsed config of a task.
type config struct {
	opts         *goredis.Options
	connector    string
	typ          string
	key          template
	ttl          time.Duration
	maxLen       int64
	batchSize    int
	maxRetries   int
	retryBackoff time.Duration
	offsetsKey   string
	// lineage writes the _freshet.* fields (see lineage.go); lin holds the
	// connector's name and version from the task config.
	lineage bool
	lin     sdk.Lineage
}

func parseConfig(m map[string]string) (*config, error) {
	v, err := configDef().Parse(m)
	if err != nil {
		return nil, err
	}
	c := &config{
		connector:    m[keyName],
		typ:          strings.ToLower(v.String(keyType)),
		ttl:          time.Duration(v.Long(keyTTL)) * time.Second,
		maxLen:       v.Long(keyMaxLen),
		batchSize:    v.Int(keyBatchSize),
		maxRetries:   v.Int(keyMaxRetries),
		retryBackoff: time.Duration(v.Int(keyRetryBackoff)) * time.Millisecond,
		offsetsKey:   strings.ReplaceAll(v.String(keyOffsetsKey), "${connector}", m[keyName]),
		lineage:      v.Bool(sdk.LineageEnableKey),
		lin:          sdk.LineageFor(m),
	}
	var errs []error
	bad := func(key string, err error) { errs = append(errs, &sdk.ConfigError{Key: key, Message: err.Error()}) }
	tmpl := v.String(keyTemplate)
	if tmpl == "" {
		tmpl = "${topic}:${key}"
		if c.typ == typeStream {
			tmpl = "${topic}"
		}
	}
	if c.key, err = parseTemplate(tmpl); err != nil {
		bad(keyTemplate, err)
	}
	if c.opts, err = parseURI(v.String(keyURI)); err != nil {
		bad(keyURI, err)
	} else {
		if u := v.String(keyUser); u != "" {
			c.opts.Username = u
		}
		if p := v.String(keyPassword); p != "" {
			c.opts.Password = p
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// parseURI accepts a redis:// or rediss:// URL, or host:port.
func parseURI(s string) (*goredis.Options, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "redis://" + s
	}
	o, err := goredis.ParseURL(s)
	if err != nil {
		// go-redis errors quote the URL, password included.
		return nil, fmt.Errorf("expected redis://[user:password@]host:port[/db], rediss://… or host:port")
	}
	return o, nil
}
