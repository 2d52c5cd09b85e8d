package datagen

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Config keys.
const (
	keyTopic      = "topic"
	keyRate       = "rate.per.sec"
	keyMaxRecords = "max.records"
	keySeed       = "seed"
	keyCustomers  = "customers"
	keyMalformed  = "malformed.ratio"
	keyEventTypes = "event.types"
	keySchemas    = "schemas"

	// Keys the connector adds to each task config. They are not user config.
	keyTaskIndex = "datagen.task.index"
	keyTaskCount = "datagen.task.count"
)

// Config is the parsed datagen config. Rate and MaxRecords are totals for the
// connector; each task takes its share.
type Config struct {
	Topic          string
	RatePerSec     float64 // 0: as fast as possible
	MaxRecords     int64   // 0: unbounded
	Seed           int64
	Customers      int
	MalformedRatio float64
	EventTypes     []string // canonical names, in the order given
	Schemas        bool
}

// Parse parses and validates a datagen config. The error joins one
// *sdk.ConfigError per bad key.
func Parse(m map[string]string) (Config, error) {
	v, err := def().Parse(m)
	if err != nil {
		return Config{}, err
	}
	c := Config{
		Topic:          v.String(keyTopic),
		RatePerSec:     v.Double(keyRate),
		MaxRecords:     v.Long(keyMaxRecords),
		Seed:           v.Long(keySeed),
		Customers:      v.Int(keyCustomers),
		MalformedRatio: v.Double(keyMalformed),
		Schemas:        v.Bool(keySchemas),
	}
	for _, name := range v.List(keyEventTypes) {
		typ, _ := parseEventType(name) // the Def's validator accepted it
		c.EventTypes = append(c.EventTypes, typ.String())
	}
	return c, nil
}

// taskSlot reads which of how many tasks a task config is for; a config
// without the keys (a connector config used as is) is the only task.
func taskSlot(m map[string]string) (index, count int, err error) {
	index, count = 0, 1
	if s, ok := m[keyTaskIndex]; ok {
		if index, err = strconv.Atoi(s); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", keyTaskIndex, err)
		}
	}
	if s, ok := m[keyTaskCount]; ok {
		if count, err = strconv.Atoi(s); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", keyTaskCount, err)
		}
	}
	if count < 1 || index < 0 || index >= count {
		return 0, 0, errors.New("task index out of range")
	}
	return index, count, nil
}

// share splits total between count tasks, the first ones taking the remainder.
func share(total int64, index, count int) int64 {
	n := total / int64(count)
	if int64(index) < total%int64(count) {
		n++
	}
	return n
}

// validEventTypes is the event.types validator.
func validEventTypes() sdk.ConfigValidator { return sdk.OneOf(eventTypeNames()...) }
