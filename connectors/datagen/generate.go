package datagen

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Source partition and offset fields.
const (
	taskField = "task"
	seqField  = "seq"
)

// catalogSize is the number of distinct items (item-000000 …).
const catalogSize = 50000

// Vocabulary of the generated events.
var (
	categories   = [...]string{"shoes", "jackets", "shirts", "dresses", "bags", "watches", "sunglasses", "jeans", "sneakers", "hats", "scarves", "socks"}
	adjectives   = [...]string{"red", "black", "white", "blue", "leather", "running", "waterproof", "slim", "vintage", "wool", "summer", "kids"}
	devices      = [...]string{"web", "ios", "android"}
	currencies   = [...]string{"EUR", "USD", "GBP"}
	referrers    = [...]string{"", "https://www.google.com/", "https://www.instagram.com/", "email:newsletter-weekly", "https://shop.example.com/", ""}
	reasons      = [...]string{"wrong_size", "damaged", "not_as_described", "changed_mind", "late_delivery"}
	warehouses   = [...]string{"ams-1", "fra-2", "lon-1", "nyc-3", "sfo-1"}
	placements   = [...]string{"home_top", "pdp_similar", "cart_upsell", "search_results", "email_digest"}
	models       = [...]string{"ranker-2024.11.2", "ranker-2024.11.2", "ranker-2024.11.2", "ranker-2024.12.0-canary"}
	consentTypes = [...]string{"personalization", "marketing_email", "analytics", "third_party_sharing"}
)

// generator turns a sequence number into a record. The record is a pure
// function of the seed, the task slot, the config and the sequence number:
// the random source is reseeded for every record, so any record can be
// regenerated on its own (a restarted task resumes the same stream).
// Only the time fields come from the clock.
type generator struct {
	topic     string
	key       uint64 // seed and task slot, mixed
	custLo    int    // this task's customers are custLo … custLo+custN-1
	custN     int
	types     []eventType
	cum       []float64 // cumulative weights of types, the last is 1
	malformed float64
	schemas   bool
	partition map[string]any

	src rand.PCG
	rnd *rand.Rand
}

func newGenerator(c Config, index, custLo, custN int) *generator {
	g := &generator{
		topic:     c.Topic,
		key:       mix(uint64(c.Seed)) ^ mix(uint64(index)+0x632be59bd9b4e019),
		custLo:    custLo,
		custN:     custN,
		malformed: c.MalformedRatio,
		schemas:   c.Schemas,
		partition: map[string]any{taskField: int64(index)},
	}
	g.rnd = rand.New(&g.src)
	total := 0.0
	for _, name := range c.EventTypes {
		t, ok := parseEventType(name)
		if !ok {
			continue
		}
		g.types = append(g.types, t)
		total += eventTypeInfo[t].weight
	}
	acc := 0.0
	for _, t := range g.types {
		acc += eventTypeInfo[t].weight
		g.cum = append(g.cum, acc/total)
	}
	if n := len(g.cum); n > 0 {
		g.cum[n-1] = 1
	}
	return g
}

// mix is SplitMix64's finalizer: it spreads nearby inputs over 64 bits.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// record returns the record with sequence number seq, stamped with now.
func (g *generator) record(seq int64, now time.Time) sdk.Record {
	g.src.Seed(g.key, mix(uint64(seq)))
	r := g.rnd
	// Draw in a fixed order, so that changing malformed.ratio changes which
	// records are malformed and nothing else.
	typ := g.pickType(r.Float64())
	cust := g.custLo + g.customer(r)
	bad := r.Float64() < g.malformed
	ts := time.UnixMilli(now.UnixMilli()).UTC()
	custID := padded("cust-", cust)
	rec := sdk.Record{
		Topic:           g.topic,
		Timestamp:       ts,
		Key:             custID,
		KeySchema:       sdk.OptionalStringSchema,
		SourcePartition: g.partition,
		SourceOffset:    map[string]any{seqField: seq + 1},
	}
	if typ == deletionRequest {
		// A tombstone: no value and no value schema, so that converters
		// write a null value and compacted topics and sinks delete the key.
		return rec
	}
	e := g.event(r, typ, cust, custID, seq, ts)
	switch {
	case bad:
		rec.Value = malformed(r, &e)
	case g.schemas:
		rec.Value, rec.ValueSchema = e.toStruct(), eventSchema
	default:
		rec.Value = e.toMap()
	}
	return rec
}

func (g *generator) pickType(u float64) eventType {
	for i, c := range g.cum {
		if u < c {
			return g.types[i]
		}
	}
	return g.types[len(g.types)-1]
}

// customer picks a customer index in [0, custN): four events in five come
// from customers picked uniformly, the fifth from a skewed pick, so that a
// few customers are hot without dominating the stream.
func (g *generator) customer(r *rand.Rand) int {
	u := r.Float64()
	if u < 0.8 {
		return min(int(float64(g.custN)*u/0.8), g.custN-1)
	}
	return skewed(r, g.custN)
}

// skewed returns an index in [0, n): low indexes are drawn more often, so
// some customers (and items) are much more active than others.
func skewed(r *rand.Rand, n int) int {
	u := r.Float64()
	return min(int(float64(n)*u*u), n-1)
}

// event fills in the fields of one event of type typ.
func (g *generator) event(r *rand.Rand, typ eventType, cust int, custID string, seq int64, ts time.Time) event {
	e := event{
		typ:      typ,
		id:       uuid(r.Uint64(), r.Uint64()),
		customer: custID,
		ts:       ts,
	}
	// A session spans about four events of its customer.
	sess := mix(g.key ^ mix(uint64(cust)) ^ uint64(seq/int64(4*g.custN)))
	currency := currencies[cust%len(currencies)]
	item := skewed(r, catalogSize)
	switch typ {
	case pageView:
		e.inSession(sess)
		e.referrer = referrers[r.IntN(len(referrers))]
		e.category = categoryOf(item)
		if r.IntN(10) < 7 {
			e.item = padded("item-", item)
			e.page = "/p/" + e.item
		} else {
			e.page = "/c/" + e.category
		}
	case search:
		e.inSession(sess)
		e.query = adjectives[r.IntN(len(adjectives))] + " " + categories[r.IntN(len(categories))]
		if r.IntN(3) == 0 {
			e.query = adjectives[r.IntN(len(adjectives))] + " " + e.query
		}
		e.results, e.hasResults = int32(r.IntN(240)), true
	case addToCart:
		e.inSession(sess)
		e.item, e.category = padded("item-", item), categoryOf(item)
		e.quantity, e.hasQty = int32(1+r.IntN(3)), true
		e.price, e.hasPrice = priceOf(item), true
		e.currency = currency
	case checkout:
		e.inSession(sess)
		e.order = hexID("ord-", r.Uint64(), 16)
		e.item, e.category = padded("item-", item), categoryOf(item)
		e.quantity, e.hasQty = int32(1+r.IntN(5)), true
		e.price, e.hasPrice = priceOf(item)*int64(e.quantity)+int64(r.IntN(4000)), true
		e.currency = currency
	case orderReturn:
		e.order = hexID("ord-", r.Uint64(), 16)
		e.item, e.category = padded("item-", item), categoryOf(item)
		e.quantity, e.hasQty = 1, true
		e.price, e.hasPrice = priceOf(item), true
		e.currency = currency
		e.reason = reasons[r.IntN(len(reasons))]
	case inventoryChange:
		e.item, e.category = padded("item-", item), categoryOf(item)
		e.warehouse = warehouses[r.IntN(len(warehouses))]
		if r.IntN(5) == 0 {
			e.quantity = int32(50 + r.IntN(150)) // restock
		} else {
			e.quantity = -int32(1 + r.IntN(3)) // sold
		}
		e.hasQty = true
		e.stock, e.hasStock = int32(r.IntN(500)), true
	case priceChange:
		e.item, e.category = padded("item-", item), categoryOf(item)
		e.prevPrice, e.hasPrev = priceOf(item), true
		e.price, e.hasPrice = e.prevPrice*int64(80+r.IntN(41))/100, true
		e.currency = currency
	case recommendation:
		e.inSession(sess)
		e.model = models[r.IntN(len(models))]
		e.placement = placements[r.IntN(len(placements))]
		n := 4 + r.IntN(5)
		e.ranked, e.scores = make([]string, n), make([]float64, n)
		score := 0.9 + 0.1*r.Float64()
		for i := range n {
			e.ranked[i] = padded("item-", skewed(r, catalogSize))
			e.scores[i] = math.Round(score*1e4) / 1e4
			score *= 0.6 + 0.35*r.Float64()
		}
	case consentChange:
		e.purpose = consentTypes[r.IntN(len(consentTypes))]
		e.granted, e.hasConsent = r.IntN(4) != 0, true
	}
	return e
}

// inSession sets the session fields of a behaviour or decision event.
func (e *event) inSession(sess uint64) {
	e.session = hexID("sess-", sess, 12)
	e.device = devices[sess%uint64(len(devices))]
}

func categoryOf(item int) string { return categories[mix(uint64(item))%uint64(len(categories))] }

// priceOf returns an item's list price in cents, 1.99 to 499.99.
func priceOf(item int) int64 { return 199 + int64(mix(uint64(item)^0xabcdef)%49801) }

// malformed returns bytes that are not JSON, in one of a few shapes seen in
// the wild, so that JSON converters fail on them.
func malformed(r *rand.Rand, e *event) sdk.Raw {
	switch r.IntN(4) {
	case 0: // truncated in flight
		j, _ := json.Marshal(e.toMap())
		return sdk.Raw(j[:len(j)*(3+r.IntN(5))/10])
	case 1: // a Python dict printed instead of serialized
		return sdk.Raw("{'event_id': '" + e.id + "', 'event_type': '" + e.typ.String() +
			"', 'customer_id': '" + e.customer + "', 'ts': " + strconv.FormatInt(e.ts.UnixMilli(), 10) + "}")
	case 2: // a number JSON cannot hold
		return sdk.Raw(`{"event_id":"` + e.id + `","event_type":"` + e.typ.String() +
			`","customer_id":"` + e.customer + `","price":NaN}`)
	default: // binary junk, e.g. a record of another serializer
		b := []byte{0xff, 0xfe, 0x00, 0x01}
		for range 12 {
			b = append(b, byte(r.Uint32()))
		}
		return sdk.Raw(append(b, e.customer...))
	}
}

const hexDigits = "0123456789abcdef"

// uuid formats two random words as a version 4 UUID.
func uuid(hi, lo uint64) string {
	hi = hi&^(0xf<<12) | 0x4<<12
	lo = lo&^(0x3<<62) | 0x2<<62
	var b [36]byte
	j := 0
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[j] = '-'
			j++
		}
		w, shift := hi, 60-4*i
		if i >= 16 {
			w, shift = lo, 60-4*(i-16)
		}
		b[j] = hexDigits[(w>>shift)&0xf]
		j++
	}
	return string(b[:])
}

// hexID returns prefix followed by the low digits hex digits of v.
func hexID(prefix string, v uint64, digits int) string {
	b := make([]byte, 0, len(prefix)+digits)
	b = append(b, prefix...)
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(4*i))&0xf])
	}
	return string(b)
}

// padded returns prefix followed by n with at least six digits.
func padded(prefix string, n int) string {
	var buf [32]byte
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	b := append(buf[:0], prefix...)
	for i := len(d); i < 6; i++ {
		b = append(b, '0')
	}
	return string(append(b, d...))
}
