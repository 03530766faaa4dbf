package codec

import (
	"bytes"
	"math/big"
	mrand "math/rand"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// allKinds has every leaf kind the typed extractor reads, each also as [null, T] and [T, null],
// nested and nullable records, a recursive record, and the generic shapes (arrays, maps, other
// unions, time-millis/-micros, duration) beside them.
const allKinds = `{"type":"record","name":"All","namespace":"t","fields":[
 {"name":"b","type":"boolean"},
 {"name":"i","type":"int"},
 {"name":"l","type":"long"},
 {"name":"f","type":"float"},
 {"name":"d","type":"double"},
 {"name":"s","type":"string"},
 {"name":"by","type":"bytes"},
 {"name":"fx","type":{"type":"fixed","name":"F4","size":4}},
 {"name":"en","type":{"type":"enum","name":"E","symbols":["A","B","C"]}},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"tms","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"tus","type":{"type":"long","logicalType":"timestamp-micros"}},
 {"name":"ltms","type":{"type":"long","logicalType":"local-timestamp-millis"}},
 {"name":"ltus","type":{"type":"long","logicalType":"local-timestamp-micros"}},
 {"name":"tim","type":{"type":"int","logicalType":"time-millis"}},
 {"name":"tiu","type":{"type":"long","logicalType":"time-micros"}},
 {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":30,"scale":3}},
 {"name":"dec0","type":{"type":"bytes","logicalType":"decimal","precision":30,"scale":0}},
 {"name":"decf","type":{"type":"fixed","name":"D12","size":12,"logicalType":"decimal","precision":28,"scale":4}},
 {"name":"uid","type":{"type":"string","logicalType":"uuid"}},
 {"name":"nb","type":["null","boolean"],"default":null},
 {"name":"ni","type":["null","int"],"default":null},
 {"name":"nl","type":["long","null"],"default":0},
 {"name":"nf","type":["null","float"],"default":null},
 {"name":"nd","type":["null","double"],"default":null},
 {"name":"ns","type":["string","null"],"default":"x"},
 {"name":"nby","type":["null","bytes"],"default":null},
 {"name":"nfx","type":["null","F4"],"default":null},
 {"name":"nen","type":["null","E"],"default":null},
 {"name":"nday","type":["null",{"type":"int","logicalType":"date"}],"default":null},
 {"name":"ntms","type":["null",{"type":"long","logicalType":"timestamp-millis"}],"default":null},
 {"name":"ntus","type":["null",{"type":"long","logicalType":"timestamp-micros"}],"default":null},
 {"name":"ndec","type":["null",{"type":"bytes","logicalType":"decimal","precision":30,"scale":3}],"default":null},
 {"name":"nuid","type":["null",{"type":"string","logicalType":"uuid"}],"default":null},
 {"name":"rec","type":{"type":"record","name":"R","fields":[
   {"name":"a","type":"string"},
   {"name":"n","type":["null",{"type":"record","name":"N","fields":[{"name":"x","type":"long"},{"name":"y","type":["null","string"]}]}],"default":null},
   {"name":"arr","type":{"type":"array","items":"string"}}]}},
 {"name":"nrec","type":["null","R"],"default":null},
 {"name":"arr","type":{"type":"array","items":"long"}},
 {"name":"m","type":{"type":"map","values":"double"}},
 {"name":"u","type":["int","string",{"type":"record","name":"R3","fields":[{"name":"a","type":"string"}]}]},
 {"name":"nu","type":["null","int","string"],"default":null},
 {"name":"tree","type":{"type":"record","name":"R2","fields":[{"name":"a","type":"string"},{"name":"kids","type":{"type":"array","items":"R2"}}]}}
]}`

// withNestedUnions has generic fields holding unions inside (a list of nullable strings, a map of
// nullable doubles, a recursive record): the whole schema is read generically.
const withNestedUnions = `{"type":"record","name":"W","fields":[
 {"name":"id","type":"long"},
 {"name":"arr","type":{"type":"array","items":["null","string"]}},
 {"name":"m","type":{"type":"map","values":["null","double"]}},
 {"name":"list","type":["null",{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"],"default":null}]}],"default":null}
]}`

func genAvro(rnd *rand.Rand, s avro.Schema, depth int) any {
	switch t := s.(type) {
	case *avro.RefSchema:
		return genAvro(rnd, t.Schema(), depth)
	case *avro.RecordSchema:
		m := map[string]any{}
		for _, f := range t.Fields() {
			m[f.Name()] = genAvro(rnd, f.Type(), depth+1)
		}
		return m
	case *avro.UnionSchema:
		types := t.Types()
		k := rnd.IntN(len(types))
		if depth > 4 {
			k = 0 // recursion ends at null (the recursive unions put it first)
		}
		b := types[k]
		if b.Type() == avro.Null {
			return nil
		}
		name := string(b.Type())
		if n, ok := b.(avro.NamedSchema); ok {
			name = n.FullName()
		} else if r, ok := b.(*avro.RefSchema); ok {
			name = r.Schema().FullName()
		} else if l, ok := b.(avro.LogicalTypeSchema); ok && l.Logical() != nil {
			name += "." + string(l.Logical().Type())
		}
		return map[string]any{name: genAvro(rnd, b, depth+1)}
	case *avro.ArraySchema:
		a := []any{}
		for range rnd.IntN(max(3-depth/2, 0) + 1) {
			a = append(a, genAvro(rnd, t.Items(), depth+1))
		}
		return a
	case *avro.MapSchema:
		m := map[string]any{}
		for i := range rnd.IntN(3) {
			m["k"+strconv.Itoa(i)] = genAvro(rnd, t.Values(), depth+1)
		}
		return m
	case *avro.EnumSchema:
		return t.Symbols()[rnd.IntN(len(t.Symbols()))]
	case *avro.FixedSchema:
		if l := t.Logical(); l != nil && l.Type() == avro.Decimal {
			return genRat(rnd, l.(*avro.DecimalLogicalSchema))
		}
		b := make([]byte, t.Size())
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		switch t.Size() {
		case 4:
			return [4]byte(b)
		}
		return b
	case *avro.PrimitiveSchema:
		if l := t.Logical(); l != nil {
			switch l.Type() {
			case avro.Date:
				return time.Unix(int64(rnd.IntN(80000)-40000)*86400, 0).UTC()
			case avro.TimestampMillis, avro.LocalTimestampMillis:
				return time.UnixMilli(rnd.Int64N(1<<42) - 1<<41).UTC()
			case avro.TimestampMicros, avro.LocalTimestampMicros:
				return time.UnixMicro(rnd.Int64N(1<<52) - 1<<51).UTC()
			case avro.TimeMillis:
				return time.Duration(rnd.IntN(86400000)) * time.Millisecond
			case avro.TimeMicros:
				return time.Duration(rnd.Int64N(86400000000)) * time.Microsecond
			case avro.Decimal:
				return genRat(rnd, l.(*avro.DecimalLogicalSchema))
			case avro.UUID:
				return "8f14e45f-ceea-467f-a0e6-1c5c7e4d8c4" + strconv.Itoa(rnd.IntN(10))
			}
		}
		switch t.Type() {
		case avro.Boolean:
			return rnd.IntN(2) == 0
		case avro.Int:
			return int(rnd.Int32()) - rnd.IntN(1<<31)
		case avro.Long:
			return rnd.Int64() - rnd.Int64()
		case avro.Float:
			return float32(rnd.NormFloat64() * 1e6)
		case avro.Double:
			return rnd.NormFloat64() * 1e12
		case avro.String:
			return strings.Repeat("é\"x", rnd.IntN(4))
		case avro.Bytes:
			return bytes.Repeat([]byte{0, 0xff}, rnd.IntN(3))
		}
	}
	panic("no generator for " + s.String())
}

// genRat is a decimal with the schema's scale, small or past int64 (the slow path), either sign.
func genRat(rnd *rand.Rand, d *avro.DecimalLogicalSchema) *big.Rat {
	u := big.NewInt(rnd.Int64N(1 << 40))
	if rnd.IntN(3) == 0 {
		u.Mul(u, big.NewInt(rnd.Int64N(1<<40))) // up to 80 bits: wider than an int64
	}
	if rnd.IntN(2) == 0 {
		u.Neg(u)
	}
	return new(big.Rat).SetFrac(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale())), nil))
}

// TestAvroTypedMatchesGeneric decodes random values of every kind with the typed extractor and with
// the generic one (ReadNext into maps, the reference) and wants the same field.Values: the derived
// columns, whole records, paths into maps and unions, paths naming nothing or going into a scalar.
func TestAvroTypedMatchesGeneric(t *testing.T) {
	a, err := ParseAvro(allKinds)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"rec.n.x", "rec.a", "nrec.n.y", "m.k0", "m.k1", "u", "u.a", "nu", "tree", "tree.a",
		"tree.kids", "nope", "rec.nope", "s.x", "rec.a.b", "arr", "rec.arr", "i", "dec"}
	for _, c := range a.Columns() {
		names = append(names, c.Field)
	}
	checkTypedMatchesGeneric(t, a, names, true)
	// A path reading a whole record whose fields hold unions (rec.n) is generic.
	checkTypedMatchesGeneric(t, a, append(names, "rec", "nrec"), false)
	w, err := ParseAvro(withNestedUnions)
	if err != nil {
		t.Fatal(err)
	}
	// A recursive record flattens once; its recursive field is one JSON text column.
	var cols []string
	for _, c := range w.Columns() {
		cols = append(cols, c.Name+" "+schema.Shape(c))
	}
	if got, want := strings.Join(cols, ", "), "id int64, arr list<optional string>, m map<optional double>, list_v int32, list_next string"; got != want {
		t.Errorf("columns %s, want %s", got, want)
	}
	checkTypedMatchesGeneric(t, w, []string{"list.v", "list.next.v", "m.k1", "list.next"}, false)
	// Without the generic fields, the same schema is typed: unread fields are skipped.
	checkTypedMatchesGeneric(t, w, []string{"id", "list.v"}, true)
}

func checkTypedMatchesGeneric(t *testing.T, a *Avro, names []string, typed bool) {
	t.Helper()
	var paths []field.Path
	for _, n := range names {
		p, err := field.ParsePath(n)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	ext, err := a.Extractor(paths)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ext.(*typedExtractor); ok != typed {
		t.Fatalf("%v: extractor %T, typed %v", names, ext, typed)
	}
	generic := a.genericExtractor(paths)
	rnd := rand.New(rand.NewPCG(1, 2))
	got, want := make([]field.Value, len(paths)), make([]field.Value, len(paths))
	for n := range 2000 {
		v := genAvro(rnd, a.Schema(), 0)
		body, err := avro.Marshal(a.Schema(), v)
		if err != nil {
			t.Fatalf("record %d: %v", n, err)
		}
		value := AppendHeader(nil, 7)
		value = append(value, body...)
		if _, err := generic.Extract(value, want, nil); err != nil {
			t.Fatalf("record %d: generic: %v", n, err)
		}
		if _, err := ext.Extract(value, got, nil); err != nil {
			t.Fatalf("record %d: typed: %v", n, err)
		}
		for i := range paths {
			if got[i].Kind != want[i].Kind || !bytes.Equal(got[i].Bytes, want[i].Bytes) {
				t.Fatalf("record %d, %s: typed %s %q, generic %s %q", n, names[i], got[i].Kind, got[i].Bytes, want[i].Kind, want[i].Bytes)
			}
		}
	}
}

// A value decoded earlier keeps its bytes while the pooled struct decodes the next one (the
// pipeline holds a record's values until its row is built).
func TestAvroTypedValuesOutliveTheNextDecode(t *testing.T) {
	a, err := ParseAvro(`{"type":"record","name":"R","fields":[{"name":"s","type":"string"},{"name":"fx","type":{"type":"fixed","name":"F","size":2}},{"name":"n","type":"long"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	paths := []field.Path{{"s"}, {"fx"}, {"n"}}
	ext, err := a.Extractor(paths)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ext.(*typedExtractor); !ok {
		t.Fatalf("extractor %T, want the typed one", ext)
	}
	enc := func(s string, fx [2]byte, n int64) []byte {
		b, err := avro.Marshal(a.Schema(), map[string]any{"s": s, "fx": fx, "n": n})
		if err != nil {
			t.Fatal(err)
		}
		return append(AppendHeader(nil, 1), b...)
	}
	first := make([]field.Value, 3)
	scratch, err := ext.Extract(enc("first", [2]byte{1, 2}, 11), first, nil)
	if err != nil {
		t.Fatal(err)
	}
	second := make([]field.Value, 3)
	if _, err := ext.Extract(enc("second", [2]byte{3, 4}, 22), second, scratch[len(scratch):]); err != nil {
		t.Fatal(err)
	}
	if string(first[0].Bytes) != "first" || !bytes.Equal(first[1].Bytes, []byte{1, 2}) || string(first[2].Bytes) != "11" {
		t.Fatalf("the first record's values changed: %q %v %q", first[0].Bytes, first[1].Bytes, first[2].Bytes)
	}
}

func TestAppendDecimal(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for n := range 5000 {
		u := new(big.Int).Rand(mrand.New(rnd0{rnd}), new(big.Int).Lsh(big.NewInt(1), uint(1+rnd.IntN(100))))
		if rnd.IntN(2) == 0 {
			u.Neg(u)
		}
		scale := rnd.IntN(25)
		// The two's-complement bytes hamba writes for u.
		b := twos(u)
		want := new(big.Rat).SetFrac(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).FloatString(scale)
		if got := string(appendDecimal(nil, b, scale)); got != want {
			t.Fatalf("%d: %s scale %d (% x): %s, want %s", n, u, scale, b, got, want)
		}
	}
}

func twos(u *big.Int) []byte {
	n := u.BitLen()/8 + 1
	if u.Sign() >= 0 {
		return u.FillBytes(make([]byte, n))
	}
	m := new(big.Int).Add(u, new(big.Int).Lsh(big.NewInt(1), uint(n*8)))
	return m.FillBytes(make([]byte, n))
}

// rnd0 adapts math/rand/v2 to the math/rand.Source big.Int.Rand wants.
type rnd0 struct{ r *rand.Rand }

func (s rnd0) Int63() int64 { return s.r.Int64() }
func (s rnd0) Seed(int64)   {}
