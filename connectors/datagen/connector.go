package datagen

import (
	"context"
	"maps"
	"strconv"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

const version = "0.1.0"

// def declares datagen's keys.
func def() *sdk.ConfigDef {
	return sdk.NewConfigDef().
		String(keyTopic, "ecommerce.events", "Topic the events are sent to",
			sdk.WithImportance(sdk.High), sdk.Check(sdk.NonEmpty())).
		Double(keyRate, 1000.0, "Events per second for the whole connector, shared by its tasks; 0 means as fast as possible",
			sdk.WithImportance(sdk.High), sdk.Check(sdk.AtLeast(0))).
		Long(keyMaxRecords, int64(0), "Stop after this many events for the whole connector, counted by sequence "+
			"number so that restarts do not add more; 0 means unbounded",
			sdk.Check(sdk.AtLeast(0))).
		Long(keySeed, int64(1), "Seed of the generator: the same seed, tasks.max, customers, event.types, "+
			"malformed.ratio and schemas give the same events").
		Int(keyCustomers, 10000, "Number of distinct customers (keys cust-000000 …), split between tasks",
			sdk.Check(sdk.AtLeast(1))).
		Double(keyMalformed, 0.0, "Fraction of events sent as deliberately malformed bytes (not JSON), "+
			"to exercise converters and dead-letter queues",
			sdk.Check(sdk.Between(0, 1))).
		List(keyEventTypes, eventTypeNames(), "Event types to generate, from: "+strings.Join(eventTypeNames(), ", "),
			sdk.Check(sdk.NonEmpty(), validEventTypes())).
		Bool(keySchemas, true, "Emit values as structs of the schema com.freshet.datagen.Event (true) "+
			"or as schemaless maps holding only the fields that apply (false)")
}

// Plugin returns the datagen source, which generates e-commerce
// personalization events.
func Plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:    "datagen",
		Version: version,
		Kind:    sdk.KindSource,
		Doc: "Generates e-commerce personalization events (page views, searches, carts, checkouts, returns, " +
			"inventory and price changes, recommendations shown, consent changes, and deletion requests as " +
			"tombstones), keyed by customer id, at a set rate and reproducible from a seed. " +
			"Can mix in malformed records to exercise dead-letter queues.",
		Config: def(),
		New:    func() sdk.Connector { return &connector{} },
	}
}

type connector struct {
	cfg       map[string]string
	customers int
}

func (c *connector) Start(ctx context.Context, cfg map[string]string) error {
	parsed, err := Parse(cfg)
	if err != nil {
		return err
	}
	c.cfg, c.customers = maps.Clone(cfg), parsed.Customers
	return nil
}

// TaskConfigs splits the customers between up to maxTasks tasks; each task
// config says which slot it is.
func (c *connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	n := max(1, min(maxTasks, c.customers))
	out := make([]map[string]string, n)
	for i := range out {
		m := maps.Clone(c.cfg)
		m[keyTaskIndex] = strconv.Itoa(i)
		m[keyTaskCount] = strconv.Itoa(n)
		out[i] = m
	}
	return out, nil
}

func (c *connector) Stop(context.Context) error { return nil }

func (c *connector) NewSourceTask() sdk.SourceTask { return newTask() }
