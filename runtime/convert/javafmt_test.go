package convert

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestJavaFloatVectors checks our Double.toString and Float.toString against
// the random numbers of the vectors: they must print as JDK 19+ prints them
// (Jackson's Schubfach port, "shortest"); where the JVM that captured them
// prints otherwise (JDK 17 does, now and then), that is only logged.
func TestJavaFloatVectors(t *testing.T) {
	f := loadVectors(t)
	check := func(kind string, vs []floatVector, bitSize int) {
		jvmDiffers := 0
		for _, v := range vs {
			bits, err := strconv.ParseUint(v.Bits, 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			x := math.Float64frombits(bits)
			if bitSize == 32 {
				x = float64(math.Float32frombits(uint32(bits)))
			}
			got := string(appendJavaFloat(nil, x, bitSize))
			if got != v.Shortest {
				t.Errorf("%s %s: got %s, want %s", kind, v.Bits, got, v.Shortest)
			}
			if v.JVM != v.Shortest {
				jvmDiffers++
			}
		}
		t.Logf("%s: %d numbers; Java %s printed %d of them with more digits than the shortest form",
			kind, len(vs), f.JavaVersion, jvmDiffers)
	}
	check("double", f.Doubles, 64)
	check("float", f.Floats, 32)
}

func TestAppendJavaFloat(t *testing.T) {
	tests := []struct {
		f       float64
		bitSize int
		want    string
	}{
		{1, 64, "1.0"},
		{-2.5, 64, "-2.5"},
		{1e-3, 64, "0.001"},
		{9.999e-4, 64, "9.999E-4"},
		{1e7, 64, "1.0E7"},
		{9999999.5, 64, "9999999.5"},
		{123456.789e3, 64, "1.23456789E8"},
		{5e-324, 64, "4.9E-324"},
		{math.Copysign(0, -1), 64, "-0.0"},
		{math.NaN(), 64, "NaN"},
		{math.Inf(-1), 64, "-Infinity"},
		{float64(float32(0.3)), 32, "0.3"},
		{float64(float32(16777216)), 32, "1.6777216E7"},
		{float64(math.SmallestNonzeroFloat32), 32, "1.4E-45"},
	}
	for _, tt := range tests {
		if got := string(appendJavaFloat(nil, tt.f, tt.bitSize)); got != tt.want {
			t.Errorf("appendJavaFloat(%v, %d) = %s, want %s", tt.f, tt.bitSize, got, tt.want)
		}
	}
}

func TestAppendJavaBigDecimal(t *testing.T) {
	tests := []struct {
		unscaled string
		scale    int32
		want     string
	}{
		{"0", 0, "0"},
		{"1", -1, "1E+1"},
		{"-5", 7, "-5E-7"},
		{"123456", 3, "123.456"},
		{"1", 6, "0.000001"},
		{"1", 7, "1E-7"},
		{"-1234", 2, "-12.34"},
		{"12345678901234567890123", 25, "0.0012345678901234567890123"},
		{"12345678901234567890123", -3, "1.2345678901234567890123E+25"},
	}
	for _, tt := range tests {
		u, _ := new(big.Int).SetString(tt.unscaled, 10)
		if got := string(appendJavaBigDecimal(nil, u, tt.scale)); got != tt.want {
			t.Errorf("appendJavaBigDecimal(%s, %d) = %s, want %s", tt.unscaled, tt.scale, got, tt.want)
		}
	}
}

// TestTwosComplement checks Java's BigInteger.toByteArray and its inverse:
// minimal length, and a round trip, for small and large values of both signs.
func TestTwosComplement(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []*big.Int{big.NewInt(0), big.NewInt(-1), big.NewInt(127), big.NewInt(128), big.NewInt(-128),
		big.NewInt(-129), big.NewInt(math.MaxInt64), big.NewInt(math.MinInt64)}
	for range 200 {
		buf := make([]byte, r.IntN(25)+1)
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		x := new(big.Int).SetBytes(buf)
		if r.IntN(2) == 0 {
			x.Neg(x)
		}
		values = append(values, x)
	}
	for _, x := range values {
		b := appendTwosComplement(nil, x)
		if got := fromTwosComplement(b); got.Cmp(x) != 0 {
			t.Errorf("%s: round trip gave %s", x, got)
		}
		// Minimal: the first byte is not a redundant sign byte.
		if len(b) > 1 && (b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 != 0) {
			t.Errorf("%s: % x is not minimal", x, b)
		}
	}
}
