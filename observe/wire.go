package observe

import (
	"encoding/binary"
	"math"
)

// The protobuf wire format, as much as the OTLP encoder needs: tags,
// varints, fixed-width numbers and length-delimited bytes. Written here
// rather than imported so that a function links no protobuf runtime (its
// package init reads the executable) for a few dozen lines.

type wireType uint8

const (
	varintType  wireType = 0
	fixed64Type wireType = 1
	bytesType   wireType = 2
	fixed32Type wireType = 5
)

func appendTag(b []byte, num int, t wireType) []byte {
	return appendUvarint(b, uint64(num)<<3|uint64(t))
}

func appendUvarint(b []byte, v uint64) []byte {
	return binary.AppendUvarint(b, v)
}

func appendBytesField(b []byte, num int, v []byte) []byte {
	b = appendTag(b, num, bytesType)
	b = appendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendStringField(b []byte, num int, v string) []byte {
	b = appendTag(b, num, bytesType)
	b = appendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendFixed64Raw(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

func appendFixed32Field(b []byte, num int, v uint32) []byte {
	b = appendTag(b, num, fixed32Type)
	return binary.LittleEndian.AppendUint32(b, v)
}

func float64bits(v float64) uint64 { return math.Float64bits(v) }
