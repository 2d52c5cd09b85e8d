package herder

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/worker"
)

// MaxTasks bounds tasks.max. Kafka Connect has no bound, but a connector
// asked for two billion tasks builds two billion task configs and takes the
// worker down with it; no worker runs more than a few hundred tasks.
const MaxTasks = 1000

// kindRules are the cross-key rules Kafka Connect checks for every sink
// (SinkConnectorConfig.validate), so that a config that cannot run is
// refused when it is submitted, not when its task starts, plus the
// tasks.max bound.
func kindRules(kind sdk.Kind, cfg map[string]string) []error {
	var errs []error
	if n, err := strconv.Atoi(strings.TrimSpace(cfg[worker.KeyTasksMax])); err == nil && n > MaxTasks {
		errs = append(errs, &sdk.ConfigError{Key: worker.KeyTasksMax, Message: fmt.Sprintf(
			"Invalid value %d for configuration %s: at most %d tasks per connector", n, worker.KeyTasksMax, MaxTasks)})
	}
	if kind != sdk.KindSink {
		return errs
	}
	var topics []string
	for _, t := range strings.Split(cfg[worker.KeyTopics], ",") {
		if t = strings.TrimSpace(t); t != "" {
			topics = append(topics, t)
		}
	}
	regex := strings.TrimSpace(cfg[worker.KeyTopicsRegex])
	switch {
	case len(topics) == 0 && regex == "":
		msg := "Must configure one of topics or topics.regex"
		errs = append(errs, &sdk.ConfigError{Key: worker.KeyTopics, Message: msg}, &sdk.ConfigError{Key: worker.KeyTopicsRegex, Message: msg})
	case len(topics) > 0 && regex != "":
		msg := "topics and topics.regex are mutually exclusive options, but both are set."
		errs = append(errs, &sdk.ConfigError{Key: worker.KeyTopics, Message: msg}, &sdk.ConfigError{Key: worker.KeyTopicsRegex, Message: msg})
	}
	if dlq := strings.TrimSpace(cfg[worker.KeyDLQTopic]); dlq != "" {
		for _, t := range topics {
			if t == dlq {
				errs = append(errs, &sdk.ConfigError{Key: worker.KeyDLQTopic, Message: fmt.Sprintf(
					"The DLQ topic '%s' may not be included in the list of topics ('%s=%s') consumed by the connector", dlq, worker.KeyTopics, cfg[worker.KeyTopics])})
			}
		}
	}
	return errs
}
