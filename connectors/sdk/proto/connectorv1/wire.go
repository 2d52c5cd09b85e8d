package connectorv1

import "google.golang.org/protobuf/encoding/protowire"

// The protowire functions the record codec calls per field, with the short
// cases inlined: tags of fields below 16, and varints of one or two bytes
// (lengths under 16 KiB, small numbers). A batch of 1 KiB records spends most
// of its encoding and decoding time here; the long cases go to protowire.

func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<7:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, byte(v)|0x80, byte(v>>7))
	}
	return protowire.AppendVarint(b, v)
}

func appendTag(b []byte, num protowire.Number, typ protowire.Type) []byte {
	return appendVarint(b, protowire.EncodeTag(num, typ))
}

func appendBytes(b, v []byte) []byte {
	return append(appendVarint(b, uint64(len(v))), v...)
}

func appendString(b []byte, v string) []byte {
	return append(appendVarint(b, uint64(len(v))), v...)
}

func consumeVarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	if len(b) > 1 && b[1] < 0x80 {
		return uint64(b[0]&0x7f) | uint64(b[1])<<7, 2
	}
	return protowire.ConsumeVarint(b)
}

func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	if len(b) > 0 && b[0] < 0x80 && b[0]>>3 != 0 {
		return protowire.Number(b[0] >> 3), protowire.Type(b[0] & 7), 1
	}
	return protowire.ConsumeTag(b)
}

func consumeBytes(b []byte) ([]byte, int) {
	if m, n := consumeVarint(b); n > 0 && m <= uint64(len(b)-n) {
		return b[n : n+int(m)], n + int(m)
	}
	return protowire.ConsumeBytes(b) // the error
}
