package schema

import (
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/parquet-go/parquet-go/format"
)

// fastSnappy is Parquet's SNAPPY codec at the speed of the reference snappy encoder, which Hadoop,
// Spark and parquet-mr use. parquet-go's own codec calls klauspost's snappy.Encode, which is
// s2.EncodeSnappyBetter: the same format, a few percent smaller, and about twice the CPU, the
// largest single cost of writing in our profiles. Any snappy decoder reads either.
type fastSnappy struct{}

func (fastSnappy) String() string                            { return "SNAPPY" }
func (fastSnappy) CompressionCodec() format.CompressionCodec { return format.Snappy }

func (fastSnappy) Encode(dst, src []byte) ([]byte, error) { return s2.EncodeSnappy(dst, src), nil }

func (fastSnappy) Decode(dst, src []byte) ([]byte, error) { return snappy.Decode(dst, src) }
