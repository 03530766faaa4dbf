package writer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go copies a column chunk's min and max whole into the file's footer: a 5 MB string made a
// 10 MB footer, statistics no reader prunes better with than with their first bytes. It has no
// option to truncate them, so the file's tail is rewritten on its way out: tailWriter holds back
// what the parquet writer writes while it closes (the end of the data, the page indexes, then the
// footer, its length and "PAR1"), and finish re-encodes the footer with every min and max longer
// than MaxStatisticsBytes truncated as parquet-mr does. Offsets in the footer point before it, so
// they stay right.

// tailWriter passes writes through until hold is set, then buffers them for finish.
type tailWriter struct {
	w    io.Writer
	n    int64 // bytes passed to w
	hold bool
	tail bytes.Buffer
}

func (t *tailWriter) Write(p []byte) (int, error) {
	if t.hold {
		return t.tail.Write(p)
	}
	n, err := t.w.Write(p)
	t.n += int64(n)
	return n, err
}

// finish writes the held tail with its footer's statistics truncated.
func (t *tailWriter) finish() error {
	b := t.tail.Bytes()
	t.hold = false
	out, err := truncateFooterStatistics(b)
	if err != nil {
		return err
	}
	_, err = t.Write(out)
	t.tail.Reset()
	return err
}

// truncateFooterStatistics returns tail (the end of a Parquet file: anything, then the footer, its
// length and "PAR1") with the footer's long statistics truncated.
func truncateFooterStatistics(tail []byte) ([]byte, error) {
	if len(tail) < 8 || string(tail[len(tail)-4:]) != "PAR1" {
		return nil, errors.New("parquet footer: the file does not end with PAR1")
	}
	size := int(binary.LittleEndian.Uint32(tail[len(tail)-8:]))
	if size > len(tail)-8 {
		return nil, fmt.Errorf("parquet footer: %d bytes, more than the %d held", size, len(tail)-8)
	}
	start := len(tail) - 8 - size
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), tail[start:len(tail)-8], &md); err != nil {
		return nil, fmt.Errorf("parquet footer: %w", err)
	}
	changed := false
	for i := range md.RowGroups {
		for j := range md.RowGroups[i].Columns {
			if truncateStatistics(&md.RowGroups[i].Columns[j].MetaData.Statistics, MaxStatisticsBytes) {
				changed = true
			}
		}
	}
	if !changed {
		return tail, nil
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		return nil, fmt.Errorf("parquet footer: %w", err)
	}
	out := make([]byte, 0, start+len(footer)+8)
	out = append(out, tail[:start]...)
	out = append(out, footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...), nil
}

// truncateBounds cuts one min/max pair to limit bytes, or drops both when the max cannot be
// rounded up within it.
func truncateBounds(lo, hi []byte, limit int) (min, max []byte) {
	lo, okLo := truncateMin(lo, limit)
	hi, okHi := truncateMax(hi, limit)
	if !okLo || !okHi {
		return nil, nil
	}
	return lo, hi
}

// truncateStatistics cuts min and max values longer than limit bytes: the min to a prefix (a
// smaller value), the max to a prefix rounded up (a larger one), at UTF-8 boundaries so that string
// statistics stay valid strings. A max that cannot be rounded up within the limit drops both, as
// a reader must then not prune on them. It reports whether it changed s.
func truncateStatistics(s *format.Statistics, limit int) bool {
	if len(s.MinValue) <= limit && len(s.MaxValue) <= limit && len(s.Min) <= limit && len(s.Max) <= limit {
		return false
	}
	s.MinValue, s.MaxValue = truncateBounds(s.MinValue, s.MaxValue, limit)
	// The deprecated signed-order fields: the same cuts, or none.
	s.Min, s.Max = truncateBounds(s.Min, s.Max, limit)
	return true
}

// utf8Cut is the longest prefix of b of at most limit bytes that does not split a UTF-8 sequence
// (of bytes that are not UTF-8, just the first limit).
func utf8Cut(b []byte, limit int) []byte {
	if len(b) <= limit {
		return b
	}
	if !utf8.Valid(b[:min(len(b), limit+utf8.UTFMax)]) {
		return b[:limit]
	}
	n := limit
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

func truncateMin(b []byte, limit int) ([]byte, bool) {
	if len(b) <= limit {
		return b, true
	}
	return bytes.Clone(utf8Cut(b, limit)), true
}

// truncateMax rounds a prefix up: the last byte below 0x7f (an ASCII character, so the result stays
// UTF-8) is incremented and what follows it dropped. Bytes compare unsigned, so the result is
// larger than every value with the prefix.
func truncateMax(b []byte, limit int) ([]byte, bool) {
	if len(b) <= limit {
		return b, true
	}
	p := bytes.Clone(utf8Cut(b, limit))
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] < 0x7f {
			p[i]++
			return p[:i+1], true
		}
	}
	return nil, false
}
