package connectorv1

import (
	"unsafe"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// boxes holds what decoded values point to, in slices that many records
// share: the string and int64 behind interface values, struct values and
// their field slices. Decoding a record then allocates next to nothing
// (putting a string or an int64 in an interface otherwise allocates a copy
// of it each time). A full slice is replaced, never reused: records may
// outlive the Decoder's next batch. A nil *boxes allocates each on the heap.
type boxes struct {
	strs    []string
	ints    []int64
	structs []sdk.Struct
	values  []any
}

// carve returns the next n elements of *a, starting a new slice when it
// has not n left.
func carve[T any](a *[]T, n int) []T {
	if cap(*a)-len(*a) < n {
		*a = make([]T, 0, max(512, n))
	}
	i := len(*a)
	*a = (*a)[:i+n]
	return (*a)[i : i+n : i+n]
}

// string returns s in an interface value.
func (bx *boxes) string(s string) any {
	if bx == nil || s == "" {
		return s
	}
	p := &carve(&bx.strs, 1)[0]
	*p = s
	return box(stringType, unsafe.Pointer(p))
}

// int64 returns v in an interface value.
func (bx *boxes) int64(v int64) any {
	if bx == nil || (v >= 0 && v < 256) { // the runtime has these boxed already
		return v
	}
	p := &carve(&bx.ints, 1)[0]
	*p = v
	return box(int64Type, unsafe.Pointer(p))
}

// fields returns an empty slice with room for a struct's n field values.
func (bx *boxes) fields(n int) []any {
	if bx == nil {
		return make([]any, 0, n)
	}
	return carve(&bx.values, n)[:0]
}

// structValue returns the struct value of schema s with values.
func (bx *boxes) structValue(s *sdk.Schema, values []any) *sdk.Struct {
	if bx == nil {
		return &sdk.Struct{Schema: s, Values: values}
	}
	v := &carve(&bx.structs, 1)[0]
	v.Schema, v.Values = s, values
	return v
}

// box returns the interface value of type typ whose data is *p, as the
// conversion to any would make it with a copy of *p. *p must never change.
func box(typ, p unsafe.Pointer) (v any) {
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// eface is the layout of an interface{} value.
type eface struct{ typ, data unsafe.Pointer }

var (
	stringType = typeOf("")
	int64Type  = typeOf(int64(0))
)

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }
