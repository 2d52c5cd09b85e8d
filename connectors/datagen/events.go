package datagen

import "strings"

// eventType is one kind of generated event.
type eventType uint8

const (
	// Behaviour.
	pageView eventType = iota
	search
	addToCart
	checkout
	orderReturn
	// Context.
	inventoryChange
	priceChange
	// Decision.
	recommendation
	// Governance.
	consentChange
	deletionRequest
)

// allEventTypes lists every type with its share of the stream when all are
// enabled; weights are renormalized over the types a config selects.
var allEventTypes = [...]eventType{
	pageView, search, addToCart, checkout, orderReturn,
	inventoryChange, priceChange, recommendation, consentChange, deletionRequest,
}

var eventTypeInfo = [...]struct {
	name   string
	weight float64
}{
	pageView:        {"page_view", 35},
	search:          {"search", 12},
	addToCart:       {"add_to_cart", 10},
	checkout:        {"checkout", 4},
	orderReturn:     {"return", 1},
	inventoryChange: {"inventory_change", 8},
	priceChange:     {"price_change", 6},
	recommendation:  {"recommendation", 21.5},
	consentChange:   {"consent_change", 2},
	deletionRequest: {"deletion_request", 0.5},
}

func (t eventType) String() string { return eventTypeInfo[t].name }

func parseEventType(s string) (eventType, bool) {
	for _, t := range allEventTypes {
		if strings.EqualFold(t.String(), strings.TrimSpace(s)) {
			return t, true
		}
	}
	return 0, false
}

func eventTypeNames() []string {
	out := make([]string, len(allEventTypes))
	for i, t := range allEventTypes {
		out[i] = t.String()
	}
	return out
}
