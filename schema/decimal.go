package schema

// Decimal columns: type decimal(P,S), exact decimals that Spark, Hive and parquet-mr read as
// DECIMAL(P,S). A value is parsed from the JSON text itself, never through float64, and is never
// rounded: a value that needs more than S fractional digits, or more than P digits in all, is a
// conversion error, so the record becomes a dead letter rather than a wrong amount.

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

// TypeDecimal is how TypeNames shows the decimal type: the real names are decimal(10,2) and the like.
const TypeDecimal = "decimal(P,S)"

// MaxDecimalPrecision is the largest precision of a decimal column: what 16 bytes hold, and the
// largest DECIMAL that Spark and Hive read.
const MaxDecimalPrecision = 38

// decimalSpec is a compiled decimal(P,S) column type.
type decimalSpec struct {
	precision, scale int
	// size is the FIXED_LEN_BYTE_ARRAY length for precision > 18; 0 means INT32 or INT64.
	size int
}

func (d *decimalSpec) String() string { return fmt.Sprintf("decimal(%d,%d)", d.precision, d.scale) }

// isDecimalType reports whether a config type means a decimal, well formed or not, so that a
// malformed one gets the decimal syntax in its error rather than the list of types.
func isDecimalType(typ string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(typ)), "decimal")
}

// parseDecimalType parses decimal(P,S), spaces allowed around every part.
func parseDecimalType(typ string) (*decimalSpec, error) {
	// YAML ends a plain scalar at a comma inside { }, so an unquoted decimal(10,2) there arrives
	// as "decimal(10": the fix says to quote it.
	const fix = "write decimal(P,S) with 1 <= P <= 38 digits in all and 0 <= S <= P after the point, " +
		`e.g. decimal(10,2), quoted inside { }: type: "decimal(10,2)"`
	s := strings.TrimSpace(typ)
	args, ok := strings.CutPrefix(strings.ToLower(s), "decimal")
	args = strings.TrimSpace(args)
	if ok {
		args, ok = strings.CutPrefix(args, "(")
	}
	if ok {
		args, ok = strings.CutSuffix(args, ")")
	}
	var ps, ss string
	if ok {
		ps, ss, ok = strings.Cut(args, ",")
	}
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal type: %s", typ, fix)
	}
	p, perr := strconv.Atoi(strings.TrimSpace(ps))
	sc, serr := strconv.Atoi(strings.TrimSpace(ss))
	switch {
	case perr != nil || serr != nil:
		return nil, fmt.Errorf("%q is not a decimal type: %s", typ, fix)
	case p < 1 || p > MaxDecimalPrecision:
		return nil, fmt.Errorf("%q: precision %d is out of range: %s", typ, p, fix)
	case sc < 0 || sc > p:
		return nil, fmt.Errorf("%q: scale %d is out of range: %s", typ, sc, fix)
	}
	d := &decimalSpec{precision: p, scale: sc}
	if p > 18 {
		d.size = decimalBytes(p)
	}
	return d, nil
}

// decimalBytes is the fewest bytes whose two's complement holds every integer of p digits, the
// FIXED_LEN_BYTE_ARRAY length parquet-mr and Spark use (9 for p = 19 and 20, 16 for p = 38).
func decimalBytes(p int) int {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil) // 10^p - 1 must fit
	for n := 1; ; n++ {
		if new(big.Int).Lsh(big.NewInt(1), uint(8*n-1)).Cmp(limit) >= 0 {
			return n
		}
	}
}

// node is the Parquet leaf: INT32 up to 9 digits, INT64 up to 18, FIXED_LEN_BYTE_ARRAY beyond, as
// parquet-mr and Spark write by default. parquet-go puts the DECIMAL logical type and the legacy
// converted type, scale and precision in the footer.
func (d *decimalSpec) node() parquet.Node {
	switch {
	case d.precision <= 9:
		return parquet.Decimal(d.scale, d.precision, parquet.Int32Type)
	case d.precision <= 18:
		return parquet.Decimal(d.scale, d.precision, parquet.Int64Type)
	}
	return parquet.Decimal(d.scale, d.precision, signedFixed{parquet.FixedLenByteArrayType(d.size)})
}

// checkDefault rejects a default that YAML read as a float64 with more significant digits than a
// float64 keeps exactly: its text is gone, and the float's shortest rendering may not be the number
// the config says. Up to 15 digits, distinct decimals are distinct floats, so the rendering is exact.
func (d *decimalSpec) checkDefault(def any) error {
	f, ok := def.(float64)
	if !ok {
		return nil
	}
	digits := strings.TrimLeft(strings.ReplaceAll(strconv.FormatFloat(f, 'e', -1, 64), ".", ""), "-0")
	if e := strings.IndexByte(digits, 'e'); e >= 0 {
		digits = digits[:e]
	}
	if len(digits) > 15 {
		return fmt.Errorf("%v has more digits than YAML keeps in a number; quote it, default: \"...\", so %s gets it exactly", def, d)
	}
	return nil
}

// errNotDecimal is the error for text that is no decimal number.
func errNotDecimal(fv field.Value) error {
	return fmt.Errorf("want a decimal number, got %s %s", fv.Kind, quote(fv.Bytes))
}

// value converts a JSON number, or a string holding one, to the column's physical value.
func (d *decimalSpec) value(fv field.Value) (parquet.Value, error) {
	if fv.Kind != field.Number && fv.Kind != field.String {
		return parquet.Value{}, errNotDecimal(fv)
	}
	u, err := d.parse(fv.Bytes)
	if err != nil {
		if errors.Is(err, errSyntax) {
			return parquet.Value{}, errNotDecimal(fv)
		}
		return parquet.Value{}, fmt.Errorf("%s %w", quote(fv.Bytes), err)
	}
	switch {
	case d.precision <= 9:
		return parquet.Int32Value(int32(u.int64())), nil
	case d.precision <= 18:
		return parquet.Int64Value(u.int64()), nil
	}
	// One small allocation per value: a Schema is shared by its topic's partitions, so no scratch
	// buffer of its own can hold the bytes until the writer copies them.
	return parquet.FixedLenByteArrayValue(u.appendBytes(make([]byte, 0, d.size), d.size)), nil
}

// unscaled is a decimal's unscaled value, |v| < 10^38 < 2^127: a sign and 128 bits of magnitude.
type unscaled struct {
	neg    bool
	hi, lo uint64
}

// mulAdd sets u to u*10 + digit. Callers keep to 38 digits, so it never overflows.
func (u *unscaled) mulAdd(digit uint64) {
	hi, lo := bits.Mul64(u.lo, 10)
	lo, carry := bits.Add64(lo, digit, 0)
	u.hi, u.lo = u.hi*10+hi+carry, lo
}

// twos returns the 128-bit two's complement.
func (u unscaled) twos() (hi, lo uint64) {
	if !u.neg {
		return u.hi, u.lo
	}
	lo, borrow := bits.Sub64(0, u.lo, 0)
	hi, _ = bits.Sub64(0, u.hi, borrow)
	return hi, lo
}

func (u unscaled) int64() int64 { _, lo := u.twos(); return int64(lo) }

// appendBytes appends the big-endian two's complement in size bytes; the bytes cut off are sign
// extension, since the value fits the column's precision.
func (u unscaled) appendBytes(dst []byte, size int) []byte {
	hi, lo := u.twos()
	var b [16]byte
	for i := range 8 {
		b[7-i] = byte(hi >> (8 * i))
		b[15-i] = byte(lo >> (8 * i))
	}
	return append(dst, b[16-size:]...)
}

var errSyntax = errors.New("not a decimal number")

// parse reads [+-] digits [. digits] [(e|E) [+-] digits] (at least one mantissa digit) exactly,
// and returns the value times 10^scale. Leading zeros, a leading + and a point without digits on
// one side are accepted from strings; NaN, Infinity, hex, spaces and "" are not numbers. The
// unscaled value may have at most precision digits; digits that scaling leaves behind the point
// must be zeros, since rounding an amount is not the loader's call.
func (d *decimalSpec) parse(b []byte) (unscaled, error) {
	var u unscaled
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		u.neg = b[i] == '-'
		i++
	}
	intPart := digitsAt(b, i)
	i += len(intPart)
	var frac []byte
	if i < len(b) && b[i] == '.' {
		frac = digitsAt(b, i+1)
		i += 1 + len(frac)
	}
	if len(intPart)+len(frac) == 0 {
		return u, errSyntax
	}
	var exp int64
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		neg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			neg = b[i] == '-'
			i++
		}
		ed := digitsAt(b, i)
		if len(ed) == 0 {
			return u, errSyntax
		}
		i += len(ed)
		for _, c := range ed {
			// Saturate: an exponent this large shifts any digit out of every precision, and
			// the arithmetic below stays far from overflow.
			if exp < 1<<40 {
				exp = exp*10 + int64(c-'0')
			}
		}
		if neg {
			exp = -exp
		}
	}
	if i != len(b) {
		return u, errSyntax
	}

	// The mantissa's digits are intPart then frac; value = mantissa * 10^(exp - len(frac)), and
	// the unscaled value is value * 10^scale = mantissa * 10^shift.
	n := len(intPart) + len(frac)
	digit := func(j int) byte {
		if j < len(intPart) {
			return intPart[j]
		}
		return frac[j-len(intPart)]
	}
	first := 0
	for first < n && digit(first) == '0' {
		first++
	}
	if first == n {
		return unscaled{}, nil // zero, whatever its sign, exponent or number of zeros
	}
	sig := int64(n - first) // significant digits, from the first non-zero one
	shift := exp - int64(len(frac)) + int64(d.scale)
	keep := sig
	if shift < 0 {
		// The last -shift digits fall behind the scale: they must all be zeros.
		drop := -shift
		if drop >= sig {
			return u, fmt.Errorf("needs more than %d fractional digits; %s does not round", d.scale, d)
		}
		keep = sig - drop
		for j := first + int(keep); j < n; j++ {
			if digit(j) != '0' {
				return u, fmt.Errorf("needs more than %d fractional digits; %s does not round", d.scale, d)
			}
		}
		shift = 0
	}
	if keep+shift > int64(d.precision) {
		return u, fmt.Errorf("does not fit %s: more than %d digits before the point", d, d.precision-d.scale)
	}
	for j := first; j < first+int(keep); j++ {
		u.mulAdd(uint64(digit(j) - '0'))
	}
	for range shift {
		u.mulAdd(0)
	}
	return u, nil
}

// digitsAt returns the run of ASCII digits starting at b[i].
func digitsAt(b []byte, i int) []byte {
	j := i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return b[i:j]
}

// signedFixed is a FIXED_LEN_BYTE_ARRAY whose values order as big-endian two's-complement
// integers, as the DECIMAL logical type requires. parquet-go orders every fixed-length array as
// unsigned bytes, so a chunk holding -0.05 and 0.01 got min 0.01 and max -0.05 in its statistics
// and column index; parquet-mr and Spark read those with the decimal (signed) order and can skip
// a row group that holds -0.05 when filtering on it. Only the ordering changes: values, encoding
// and footer are the embedded type's.
type signedFixed struct{ parquet.Type }

func (t signedFixed) Compare(a, b parquet.Value) int {
	return compareSigned(a.ByteArray(), b.ByteArray())
}

func (t signedFixed) NewColumnBuffer(columnIndex, numValues int) parquet.ColumnBuffer {
	return signedBuffer{t.Type.NewColumnBuffer(columnIndex, numValues)}
}

func (t signedFixed) NewPage(columnIndex, numValues int, data encoding.Values) parquet.Page {
	return signedPage{t.Type.NewPage(columnIndex, numValues, data)}
}

func (t signedFixed) NewColumnIndexer(int) parquet.ColumnIndexer { return &signedIndexer{} }

// compareSigned compares equal-length big-endian two's-complement integers.
func compareSigned(a, b []byte) int {
	if len(a) > 0 && len(b) > 0 && (a[0]^b[0])&0x80 != 0 {
		if a[0]&0x80 != 0 {
			return -1 // only a is negative
		}
		return 1
	}
	return bytes.Compare(a, b) // same sign: unsigned order is the signed one
}

// signedBuffer is a column buffer whose pages have signed bounds. It embeds parquet-go's own buffer,
// so the writer's unexported write methods are the original ones.
type signedBuffer struct{ parquet.ColumnBuffer }

func (b signedBuffer) Page() parquet.Page          { return signedPage{b.ColumnBuffer.Page()} }
func (b signedBuffer) Clone() parquet.ColumnBuffer { return signedBuffer{b.ColumnBuffer.Clone()} }
func (b signedBuffer) Less(i, j int) bool          { return lessAt(b.ColumnBuffer.Page(), i, j) }

func lessAt(p parquet.Page, i, j int) bool {
	vals := p.Data()
	data, size := vals.FixedLenByteArray()
	return compareSigned(data[i*size:(i+1)*size], data[j*size:(j+1)*size]) < 0
}

// signedPage is a page whose bounds are signed; so are its slices, the pages the writer cuts.
type signedPage struct{ parquet.Page }

func (p signedPage) Slice(i, j int64) parquet.Page             { return signedPage{p.Page.Slice(i, j)} }
func (p signedPage) Bounds() (min, max parquet.Value, ok bool) { return signedBounds(p.Page) }

func signedBounds(p parquet.Page) (min, max parquet.Value, ok bool) {
	vals := p.Data()
	data, size := vals.FixedLenByteArray()
	if size <= 0 || len(data) < size {
		return min, max, false
	}
	lo, hi := data[:size], data[:size]
	for i := size; i+size <= len(data); i += size {
		v := data[i : i+size]
		if compareSigned(v, lo) < 0 {
			lo = v
		}
		if compareSigned(v, hi) > 0 {
			hi = v
		}
	}
	c := p.Column()
	return parquet.FixedLenByteArrayValue(lo).Level(0, 0, c), parquet.FixedLenByteArrayValue(hi).Level(0, 0, c), true
}

// signedIndexer builds the column index with signed bounds and a boundary order by the signed
// order. A page of nulls only gets empty bounds, as the format asks, so every list has one entry
// per page.
type signedIndexer struct {
	nullPages  []bool
	nullCounts []int64
	mins, maxs [][]byte
}

func (x *signedIndexer) Reset() {
	x.nullPages, x.nullCounts, x.mins, x.maxs = x.nullPages[:0], x.nullCounts[:0], x.mins[:0], x.maxs[:0]
}

func (x *signedIndexer) IndexPage(numValues, numNulls int64, min, max parquet.Value) {
	null := numValues == numNulls || min.IsNull() || max.IsNull()
	x.nullPages = append(x.nullPages, null)
	x.nullCounts = append(x.nullCounts, numNulls)
	if null {
		x.mins, x.maxs = append(x.mins, []byte{}), append(x.maxs, []byte{})
		return
	}
	// Bounds alias the page's buffer, which the writer reuses.
	x.mins = append(x.mins, bytes.Clone(min.ByteArray()))
	x.maxs = append(x.maxs, bytes.Clone(max.ByteArray()))
}

// ColumnIndex returns copies: parquet-go keeps every row group's index until the file is closed,
// while the indexer is reset and refilled for the next row group.
func (x *signedIndexer) ColumnIndex() format.ColumnIndex {
	return format.ColumnIndex{
		NullPages:     slices.Clone(x.nullPages),
		NullCounts:    slices.Clone(x.nullCounts),
		MinValues:     slices.Clone(x.mins),
		MaxValues:     slices.Clone(x.maxs),
		BoundaryOrder: x.order(),
	}
}

// order is ASCENDING when no non-null page's bounds go down from the previous one, DESCENDING when
// none go up, UNORDERED otherwise (and for fewer than two pages, as parquet-go does).
func (x *signedIndexer) order() format.BoundaryOrder {
	up, down, pages := true, true, 0
	var pmin, pmax []byte
	for i, null := range x.nullPages {
		if null {
			continue
		}
		if pages > 0 {
			cmin, cmax := compareSigned(x.mins[i], pmin), compareSigned(x.maxs[i], pmax)
			up = up && cmin >= 0 && cmax >= 0
			down = down && cmin <= 0 && cmax <= 0
		}
		pmin, pmax, pages = x.mins[i], x.maxs[i], pages+1
	}
	switch {
	case pages < 2 || up == down:
		return format.Unordered
	case up:
		return format.Ascending
	}
	return format.Descending
}
