package convert

import (
	"math"
	"math/big"
	"strconv"
)

// This file formats numbers the way Java prints them, because Kafka Connect's
// JsonConverter writes doubles with Double.toString, floats with
// Float.toString and decimals with BigDecimal.toString (through Jackson).

// appendJavaFloat appends f as Java's Double.toString (bitSize 64) or
// Float.toString (bitSize 32) prints it, following the JDK 19+ specification:
// the shortest decimal that rounds to f, with at least two significant digits
// considered when one would do ("4.9E-324", not "5.0E-324"), in plain notation
// for magnitudes in [1e-3, 1e7) and computerized scientific notation
// otherwise. JDK 17 and older sometimes print more digits than needed; see
// doc.go. NaN and infinities print as NaN, Infinity and -Infinity.
func appendJavaFloat(b []byte, f float64, bitSize int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	var tmp [32]byte
	digits, exp := decimalDigits(strconv.AppendFloat(tmp[:0], f, 'e', -1, bitSize))
	if len(digits) == 1 {
		// Java picks the closest decimal of length 1 or 2, which is the
		// correctly rounded two-digit form.
		var tmp2 [32]byte
		digits, exp = decimalDigits(strconv.AppendFloat(tmp2[:0], f, 'e', 1, bitSize))
		if digits[1] == '0' {
			digits = digits[:1]
		}
	}
	if exp >= -3 && exp < 7 {
		if exp >= 0 {
			if len(digits) > exp+1 {
				b = append(b, digits[:exp+1]...)
				b = append(b, '.')
				return append(b, digits[exp+1:]...)
			}
			b = append(b, digits...)
			for i := len(digits); i <= exp; i++ {
				b = append(b, '0')
			}
			return append(b, ".0"...)
		}
		b = append(b, "0."...)
		for i := -1; i > exp; i-- {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[0], '.')
	if len(digits) > 1 {
		b = append(b, digits[1:]...)
	} else {
		b = append(b, '0')
	}
	b = append(b, 'E')
	return strconv.AppendInt(b, int64(exp), 10)
}

// decimalDigits splits strconv's 'e' format ("d.ddde±XX") into its
// significant digits, without the point, and its decimal exponent. It reuses
// the bytes of s.
func decimalDigits(s []byte) (digits []byte, exp int) {
	e := len(s) - 1
	for s[e] != 'e' {
		e--
	}
	x, _ := strconv.Atoi(string(s[e+1:]))
	m := s[:e]
	if len(m) > 1 { // drop the point
		copy(m[1:], m[2:])
		m = m[:len(m)-1]
	}
	return m, x
}

// appendJavaBigDecimal appends unscaled×10^-scale as Java's
// BigDecimal.toString prints it: plain when scale ≥ 0 and the adjusted
// exponent is ≥ -6 ("12.34", "0.000123", "0.00"), scientific otherwise
// ("1E-9", "1.2E+3", "0E-10").
func appendJavaBigDecimal(b []byte, unscaled *big.Int, scale int32) []byte {
	var tmp [40]byte
	var coeff []byte
	if unscaled.IsInt64() {
		coeff = strconv.AppendInt(tmp[:0], unscaled.Int64(), 10)
	} else {
		coeff = unscaled.Append(tmp[:0], 10)
	}
	if coeff[0] == '-' {
		b = append(b, '-')
		coeff = coeff[1:]
	}
	adjusted := -int64(scale) + int64(len(coeff)-1)
	if scale >= 0 && adjusted >= -6 {
		switch {
		case scale == 0:
			return append(b, coeff...)
		case len(coeff) > int(scale):
			p := len(coeff) - int(scale)
			b = append(b, coeff[:p]...)
			b = append(b, '.')
			return append(b, coeff[p:]...)
		default:
			b = append(b, "0."...)
			for i := len(coeff); i < int(scale); i++ {
				b = append(b, '0')
			}
			return append(b, coeff...)
		}
	}
	b = append(b, coeff[0])
	if len(coeff) > 1 {
		b = append(b, '.')
		b = append(b, coeff[1:]...)
	}
	b = append(b, 'E')
	if adjusted >= 0 {
		b = append(b, '+')
	}
	return strconv.AppendInt(b, adjusted, 10)
}
