package worker

import (
	"fmt"
	"regexp"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Kafka Connect's common connector config keys.
const (
	KeyName           = "name"
	KeyConnectorClass = "connector.class"
	KeyTasksMax       = "tasks.max"
	KeyTopics         = "topics"
	KeyTopicsRegex    = "topics.regex"
	KeyKeyConverter   = "key.converter"
	KeyValueConverter = "value.converter"
	KeyTransforms     = "transforms"
	KeyPredicates     = "predicates"

	KeyErrorsTolerance     = "errors.tolerance"
	KeyErrorsRetryTimeout  = "errors.retry.timeout"
	KeyErrorsRetryDelayMax = "errors.retry.delay.max.ms"
	KeyErrorsLogEnable     = "errors.log.enable"
	KeyErrorsLogMessages   = "errors.log.include.messages"
	KeyDLQTopic            = "errors.deadletterqueue.topic.name"
	KeyDLQReplication      = "errors.deadletterqueue.topic.replication.factor"
	KeyDLQContextHeaders   = "errors.deadletterqueue.context.headers.enable"
	KeyDLQMaxRatio         = "freshet.errors.dlq.max.ratio"
	KeyDLQWindow           = "freshet.errors.dlq.window.records"

	KeyFreshnessBudget = "freshness.budget.ms"
)

// CommonDef declares the keys every connector accepts, whatever its plugin.
// The runtime merges it with the plugin's own definition for validation and docs.
func CommonDef() *sdk.ConfigDef {
	return sdk.NewConfigDef().
		String(KeyName, sdk.Required, "Globally unique name to use for this connector.", sdk.InGroup("Common"), sdk.WithImportance(sdk.High), sdk.Check(validName)).
		String(KeyConnectorClass, sdk.Required, "Name or alias of the class for this connector.", sdk.InGroup("Common"), sdk.WithImportance(sdk.High)).
		Int(KeyTasksMax, 1, "Maximum number of tasks to use for this connector.", sdk.InGroup("Common"), sdk.WithImportance(sdk.High), sdk.Check(sdk.AtLeast(1))).
		List(KeyTopics, nil, "List of topics to consume, separated by commas (sink connectors).", sdk.InGroup("Common"), sdk.WithImportance(sdk.High)).
		String(KeyTopicsRegex, nil, "Regular expression giving topics to consume (sink connectors).", sdk.InGroup("Common"), sdk.WithImportance(sdk.High), sdk.Check(sdk.Regexp())).
		String(KeyKeyConverter, nil, "Converter class for keys; the worker's key.converter when unset.", sdk.InGroup("Common"), sdk.WithImportance(sdk.Low)).
		String(KeyValueConverter, nil, "Converter class for values; the worker's value.converter when unset.", sdk.InGroup("Common"), sdk.WithImportance(sdk.Low)).
		List(KeyTransforms, nil, "Aliases for the transformations to apply to records.", sdk.InGroup("Transforms"), sdk.WithImportance(sdk.Low)).
		List(KeyPredicates, nil, "Aliases for the predicates used by transformations.", sdk.InGroup("Predicates"), sdk.WithImportance(sdk.Low)).
		Long(KeyErrorsRetryTimeout, int64(0), "The maximum duration in milliseconds that a failed operation will be reattempted. 0 means no retries, -1 infinite.", sdk.InGroup("Error Handling")).
		Long(KeyErrorsRetryDelayMax, int64(60000), "The maximum duration in milliseconds between consecutive retry attempts. Backoff starts at 300 ms and doubles, with jitter.", sdk.InGroup("Error Handling"), sdk.Check(sdk.AtLeast(0))).
		String(KeyErrorsTolerance, "none", "Behavior for tolerating errors: 'none' fails the task on the first error, 'all' skips problematic records.", sdk.InGroup("Error Handling"), sdk.Check(sdk.OneOf("none", "all"))).
		Bool(KeyErrorsLogEnable, false, "Log each error, the failed operation and its record.", sdk.InGroup("Error Handling")).
		Bool(KeyErrorsLogMessages, false, "Include the record's coordinates (and for sources its content) in error logs.", sdk.InGroup("Error Handling")).
		String(KeyDLQTopic, "", "Topic to send records that failed in conversion, transformation or put. Empty disables the dead-letter queue.", sdk.InGroup("Error Handling")).
		Int(KeyDLQReplication, 3, "Replication factor used to create the dead letter queue topic when it doesn't already exist.", sdk.InGroup("Error Handling"), sdk.Check(sdk.AtLeast(-1))).
		Bool(KeyDLQContextHeaders, false, "Add __connect.errors.* headers with the error context to dead-letter records.", sdk.InGroup("Error Handling")).
		Double(KeyDLQMaxRatio, 0.0, "Fail the task when more than this share of its records (0 to 1) is skipped or dead-lettered within a window of freshet.errors.dlq.window.records. 0 turns the guard off. Turn it on for connectors whose normal dead-letter rate is near zero, so that a bad deploy or schema change fails loudly instead of dead-lettering a whole stream.", sdk.InGroup("Error Handling"), sdk.Check(sdk.Between(0, 1))).
		Int(KeyDLQWindow, 1000, "Records per window of the freshet.errors.dlq.max.ratio guard.", sdk.InGroup("Error Handling"), sdk.Check(sdk.AtLeast(1))).
		Long(KeyFreshnessBudget, int64(0), "Freshness budget in milliseconds: how long a record may take from its Kafka timestamp to the sink. The status endpoint says whether the connector keeps within it. 0 means no budget.", sdk.InGroup("Freshness"), sdk.Check(sdk.AtLeast(0)))
}

var controlChars = regexp.MustCompile(`[\x00-\x1f\x7f]`)

func validName(v any) error {
	s, _ := v.(string)
	if s == "" {
		return fmt.Errorf("connector name must not be empty")
	}
	if controlChars.MatchString(s) {
		return fmt.Errorf("connector name must not contain control characters")
	}
	return nil
}

// errorPolicy is the parsed errors.* config of one connector.
type errorPolicy struct {
	tolerateAll    bool
	retryTimeout   time.Duration // <0: forever
	retryDelayMax  time.Duration
	logErrors      bool
	logMessages    bool
	dlqTopic       string
	dlqReplication int
	contextHeaders bool
	guard          dlqGuard
}

func parseErrorPolicy(v sdk.Values) errorPolicy {
	p := errorPolicy{
		tolerateAll:    v.String(KeyErrorsTolerance) == "all",
		retryTimeout:   v.Millis(KeyErrorsRetryTimeout),
		retryDelayMax:  v.Millis(KeyErrorsRetryDelayMax),
		logErrors:      v.Bool(KeyErrorsLogEnable),
		logMessages:    v.Bool(KeyErrorsLogMessages),
		dlqTopic:       v.String(KeyDLQTopic),
		dlqReplication: v.Int(KeyDLQReplication),
		contextHeaders: v.Bool(KeyDLQContextHeaders),
		guard:          dlqGuard{max: v.Double(KeyDLQMaxRatio), window: v.Int(KeyDLQWindow)},
	}
	if v.Long(KeyErrorsRetryTimeout) < 0 {
		p.retryTimeout = -1
	}
	return p
}
