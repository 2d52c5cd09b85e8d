// Package distributed holds the end-to-end tests of distributed mode: three
// freshet workers in one group against real Kafka (tests/services/up.sh
// kafka), run only when FRESHET_E2E=1 with FRESHET_BIN set.
package distributed
