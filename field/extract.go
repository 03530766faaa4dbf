package field

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting so a hostile record cannot drive the recursive scanner into a huge stack;
// real events nest a handful of levels.
const maxDepth = 1000

// kindEscaped marks, during a scan only, a string value whose Bytes still hold the raw escaped text.
// Unescaping waits until the scan is over: a duplicate key may replace the value, and scratch can
// then be grown once so no returned Value points into a backing array that append later abandoned.
const kindEscaped Kind = 0xff

// Extractor reads a fixed set of JSON paths out of a document in one pass, without building a tree.
// Build it once per topic with NewExtractor and reuse it; it is safe for concurrent use because it
// keeps no per-call state.
type Extractor struct {
	paths []Path
	// nodes is a trie of path segments; nodes[0] stands for the top-level object.
	nodes []node
	// outs lists out indices so that each node's subtree owns the contiguous run outs[lo:hi], its own
	// indices first: a repeated key can then reset everything below it without walking the trie.
	outs []int32
	// first[i] is the lowest index of a path equal to paths[i], so duplicates are unescaped once.
	first []int32
}

type node struct {
	kids []kid
	// lens has bit min(len(key), 63) set for each kid: most keys of a busy object match no kid, and
	// their length alone usually says so.
	lens uint64
	// outs[lo:lo+own] end at this node; outs[lo+own:hi] end below it.
	lo, own, hi int32
}

type kid struct {
	key  string
	node int32
	// plain says the key is valid UTF-8 without '"', '\\' or control bytes: a document's key
	// equal to it byte for byte, closing quote included, is a valid string without a scan.
	plain bool
	// For a plain key of at most 7 bytes, word holds it and its closing quote as a little-endian
	// word and mask covers them (else mask is 0): the key after an opening quote is then one load,
	// one AND and one comparison away, where a string comparison cost a call.
	word, mask uint64
	// out is the one out index whose path ends at node, or -1 when none does, -2 when several do:
	// the common cases then need no look at the node itself.
	out int32
}

// NewExtractor compiles paths. Paths may share prefixes and one may be a prefix of another ("a" and
// "a.b"): then "a" receives the raw object text and "a.b" the nested value. Duplicate paths are allowed
// and receive the same value.
func NewExtractor(paths []Path) (*Extractor, error) {
	e := &Extractor{
		paths: make([]Path, len(paths)),
		nodes: []node{{}},
		first: make([]int32, len(paths)),
	}
	ends := [][]int32{nil} // per node, the out indices ending there, until the layout pass
	for i, p := range paths {
		if len(p) == 0 {
			return nil, fmt.Errorf("field path %d is empty", i)
		}
		// A copy keeps the trie and Paths in step even if the caller reuses its slices.
		e.paths[i] = slices.Clone(p)
		n := int32(0)
		for _, seg := range p {
			if seg == "" {
				return nil, fmt.Errorf("field path %q has an empty segment", p.String())
			}
			next := int32(-1)
			for _, k := range e.nodes[n].kids {
				if k.key == seg {
					next = k.node
					break
				}
			}
			if next < 0 {
				next = int32(len(e.nodes))
				e.nodes = append(e.nodes, node{})
				ends = append(ends, nil)
				e.nodes[n].kids = append(e.nodes[n].kids, newKid(seg, next))
				e.nodes[n].lens |= 1 << min(len(seg), 63)
			}
			n = next
		}
		e.first[i] = int32(i)
		if len(ends[n]) > 0 {
			e.first[i] = ends[n][0]
		}
		ends[n] = append(ends[n], int32(i))
	}
	var layout func(n int32)
	layout = func(n int32) {
		nd := &e.nodes[n]
		nd.lo = int32(len(e.outs))
		nd.own = int32(len(ends[n]))
		e.outs = append(e.outs, ends[n]...)
		for _, k := range nd.kids {
			layout(k.node)
		}
		nd.hi = int32(len(e.outs))
	}
	layout(0)
	for n := range e.nodes {
		for x := range e.nodes[n].kids {
			kd := &e.nodes[n].kids[x]
			switch nd := &e.nodes[kd.node]; nd.own {
			case 0:
				kd.out = -1
			case 1:
				kd.out = e.outs[nd.lo]
			default:
				kd.out = -2
			}
		}
	}
	return e, nil
}

func newKid(key string, n int32) kid {
	k := kid{key: key, node: n, plain: plainKey(key)}
	if k.plain && len(key) < 8 {
		var w [8]byte
		copy(w[:], key+`"`)
		k.word = binary.LittleEndian.Uint64(w[:])
		k.mask = 1<<(8*(len(key)+1)) - 1
	}
	return k
}

// Paths returns the paths in the order Extract fills out.
func (e *Extractor) Paths() []Path { return e.paths }

// Extract validates doc strictly and stores the value of path i in out[i] (len(out) must be
// len(e.Paths())); paths not present are Missing. Escaped strings are unescaped into scratch,
// which is returned grown; other values alias doc. Errors are *SyntaxError.
//
// Validation follows RFC 8259 and covers the whole document, including parts no path reads: doc must
// hold exactly one JSON object, optionally surrounded by whitespace, nested at most 1000 deep. It
// accepts what encoding/json.Valid accepts for such documents, except that it also rejects invalid
// UTF-8 inside strings, which encoding/json lets through and silently replaces with U+FFFD: a record
// whose bytes are not text goes to the dead letters rather than to Parquet with altered content.
// Escaped lone surrogates (\ud800) do become U+FFFD, as in encoding/json.
//
// A key that occurs more than once in an object takes its last value, as with encoding/json decoding
// into a map: an earlier object under that key no longer feeds paths below it. A path that runs
// through a value that is not an object (a string, an array) is Missing.
//
// On error out is all Missing and scratch is returned as passed. SyntaxError.Offset is the index of
// the offending byte, or len(doc) when the document ends early; the messages are encoding/json's. Returned Bytes are capped at their
// length, so appending to one copies rather than overwriting the document or a neighbouring value.
func (e *Extractor) Extract(doc []byte, out []Value, scratch []byte) ([]byte, error) {
	if len(out) != len(e.paths) {
		panic("field: Extract got " + strconv.Itoa(len(out)) + " out values for " + strconv.Itoa(len(e.paths)) + " paths")
	}
	clear(out)
	p := parser{doc: doc, e: e, out: out}
	if err := p.document(); err != nil {
		clear(out)
		return scratch, err
	}
	if p.escaped {
		scratch = e.unescapeAll(out, scratch)
	}
	return scratch, nil
}

// unescapeAll replaces the raw text of every kindEscaped value with its unescaped form in scratch.
func (e *Extractor) unescapeAll(out []Value, scratch []byte) []byte {
	// Unescaping never lengthens a string, so one grow up front fixes the backing array for good.
	need := 0
	for i, v := range out {
		if v.Kind == kindEscaped && e.first[i] == int32(i) {
			need += len(v.Bytes)
		}
	}
	scratch = slices.Grow(scratch, need)
	for i, v := range out {
		if v.Kind != kindEscaped {
			continue
		}
		if f := e.first[i]; f != int32(i) {
			out[i] = out[f]
			continue
		}
		start := len(scratch)
		scratch = unescape(scratch, v.Bytes)
		out[i] = Value{Kind: String, Bytes: scratch[start:len(scratch):len(scratch)], utf8: true}
	}
	return scratch
}

// parser is the state of one Extract call; it lives on the caller's stack.
type parser struct {
	doc     []byte
	e       *Extractor
	out     []Value
	escaped bool // some out value is kindEscaped
	// seen has bit k set once trie node k < 64 has matched a key: out starts cleared, so only a
	// node matched again (a repeated key) has values below it to reset. Resetting at every match
	// was a twentieth of reading a small document.
	seen uint64
}

// again reports whether trie node k has matched a key before in this document (always, for nodes
// past the first 64), and notes that it has.
func (p *parser) again(k int32) bool {
	if k >= 64 {
		return true
	}
	bit := uint64(1) << k
	seen := p.seen&bit != 0
	p.seen |= bit
	return seen
}

func (p *parser) document() error {
	doc := p.doc
	i := skipSpace(doc, 0)
	if i >= len(doc) {
		return p.eof()
	}
	if c := doc[i]; c != '{' {
		if c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' || isDigit(c) {
			return &SyntaxError{Offset: i, Msg: "top-level value is not an object"}
		}
		return p.invalid(i, "looking for beginning of value")
	}
	i, err := p.object(i, 0, 1)
	if err != nil {
		return err
	}
	if i = skipSpace(doc, i); i < len(doc) {
		return p.invalid(i, "after top-level value")
	}
	return nil
}

// value scans the value starting at doc[i] (not whitespace) inside a container at depth and returns
// the index just past it and its kind. When n >= 0 the value is the one trie node n stands for.
func (p *parser) value(i int, n int32, depth int) (int, Kind, error) {
	doc := p.doc
	if i >= len(doc) {
		return i, 0, p.eof()
	}
	var (
		kind Kind
		j    int
		err  error
	)
	switch c := doc[i]; c {
	case '"':
		kind = String
		if j = shortString(doc, i); j < 0 {
			var esc bool
			j, esc, err = p.str(i)
			if esc {
				kind = kindEscaped
			}
		}
	case '{':
		kind = Object
		j, err = p.object(i, n, depth+1)
	case '[':
		kind = Array
		j, err = p.array(i, depth+1)
	case 't':
		kind = Bool
		j, err = p.literal(i, "true")
	case 'f':
		kind = Bool
		j, err = p.literal(i, "false")
	case 'n':
		kind = Null
		j, err = p.literal(i, "null")
	default:
		if c != '-' && !isDigit(c) {
			return i, 0, p.invalid(i, "looking for beginning of value")
		}
		kind = Number
		j, err = p.number(i)
	}
	return j, kind, err
}

// set stores the value of kind at doc[i:j] in out[o], or with o == -2 in the outs of trie node n.
func (p *parser) set(o, n int32, kind Kind, i, j int) {
	var b []byte
	switch kind {
	case String:
		b = p.doc[i+1 : j-1 : j-1]
	case kindEscaped:
		b = p.doc[i+1 : j-1 : j-1]
		p.escaped = true
	case Null:
	default:
		b = p.doc[i:j:j]
	}
	if o >= 0 { // one path ends here, as most do: its value is written in place
		v := &p.out[o]
		v.Kind, v.utf8, v.Bytes = kind, true, b
		return
	}
	nd := &p.e.nodes[n]
	for _, o := range p.e.outs[nd.lo : nd.lo+nd.own] {
		p.out[o] = Value{Kind: kind, utf8: true, Bytes: b}
	}
}

// object scans the object starting at doc[i] == '{' and returns the index just past it. When n >= 0
// its members are looked up among the kids of trie node n.
func (p *parser) object(i int, n int32, depth int) (int, error) {
	if depth > maxDepth {
		return i, &SyntaxError{Offset: i, Msg: "exceeded max depth"}
	}
	doc := p.doc
	var (
		kids []kid
		lens uint64
		hint int // the kid to look at first
	)
	if n >= 0 {
		kids, lens = p.e.nodes[n].kids, p.e.nodes[n].lens
	}
	i = skipSpace(doc, i+1)
	if i >= len(doc) {
		return i, p.eof()
	}
	if doc[i] == '}' {
		return i + 1, nil
	}
	for {
		if doc[i] != '"' {
			return i, p.invalid(i, "looking for beginning of object key string")
		}
		k, j := int32(-1), -1 // j: just past the key's closing quote
		o := int32(-1)        // the matched kid's out
		if hint < len(kids) {
			// First the key the previous member's suggests, compared in place: producers write
			// an object's keys in one order, and paths are usually listed in it.
			kd := &kids[hint]
			if kd.mask != 0 {
				if i+9 <= len(doc) && binary.LittleEndian.Uint64(doc[i+1:])&kd.mask == kd.word {
					k, o, j = kd.node, kd.out, i+2+len(kd.key)
					hint++
				}
			} else if end := i + 1 + len(kd.key); kd.plain && end < len(doc) && doc[end] == '"' && string(doc[i+1:end]) == kd.key {
				k, o, j = kd.node, kd.out, end+1
				hint++
			}
		}
		if j < 0 {
			var esc bool
			if j = shortString(doc, i); j < 0 {
				var err error
				if j, esc, err = p.str(i); err != nil {
					return j, err
				}
			}
			if key := doc[i+1 : j-1]; esc {
				if x := lookupEscaped(kids, key); x >= 0 {
					k, o = kids[x].node, kids[x].out
				}
			} else if lens&(1<<min(len(key), 63)) != 0 {
				// The search starts after the kid the previous member matched.
				for t := range kids {
					x := hint + t
					if x >= len(kids) {
						x -= len(kids)
					}
					if kids[x].key == string(key) {
						k, o, hint = kids[x].node, kids[x].out, x+1
						break
					}
				}
			}
		}
		// Compact JSON has no whitespace around ':' and ',': each is tested for before a skip.
		if j < len(doc) && doc[j] == ':' {
			i = j + 1
		} else {
			if i = skipSpace(doc, j); i >= len(doc) {
				return i, p.eof()
			}
			if doc[i] != ':' {
				return i, p.invalid(i, "after object key")
			}
			i++
		}
		if i >= len(doc) || doc[i] <= ' ' {
			i = skipSpace(doc, i)
		}
		if k >= 0 && p.again(k) {
			// Last wins: whatever an earlier member with this key left below it is gone.
			nd := &p.e.nodes[k]
			for _, o := range p.e.outs[nd.lo+nd.own : nd.hi] {
				p.out[o] = Value{}
			}
		}
		start := i
		var (
			kind Kind
			err  error
		)
		if i < len(doc) && doc[i] == '"' {
			// Most values are strings, most of them short: they cost no call.
			kind = String
			if j := shortString(doc, i); j >= 0 {
				i = j
			} else {
				var esc bool
				if i, esc, err = p.str(i); err != nil {
					return i, err
				}
				if esc {
					kind = kindEscaped
				}
			}
		} else if i, kind, err = p.value(i, k, depth); err != nil {
			return i, err
		}
		if o >= 0 && kind == String {
			v := &p.out[o]
			v.Kind, v.utf8, v.Bytes = String, true, doc[start+1:i-1:i-1]
		} else if o != -1 {
			p.set(o, k, kind, start, i)
		}
		if i >= len(doc) || doc[i] <= ' ' {
			if i = skipSpace(doc, i); i >= len(doc) {
				return i, p.eof()
			}
		}
		switch doc[i] {
		case ',':
			if i++; i >= len(doc) || doc[i] != '"' {
				if i = skipSpace(doc, i); i >= len(doc) {
					return i, p.eof()
				}
			}
		case '}':
			return i + 1, nil
		default:
			return i, p.invalid(i, "after object key:value pair")
		}
	}
}

// array scans the array starting at doc[i] == '[' and returns the index just past it. Paths do not
// index into arrays, so its elements feed no trie node.
func (p *parser) array(i int, depth int) (int, error) {
	if depth > maxDepth {
		return i, &SyntaxError{Offset: i, Msg: "exceeded max depth"}
	}
	doc := p.doc
	i = skipSpace(doc, i+1)
	if i >= len(doc) {
		return i, p.eof()
	}
	if doc[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, _, err = p.value(i, -1, depth); err != nil {
			return i, err
		}
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return i, p.eof()
		}
		switch doc[i] {
		case ',':
			i = skipSpace(doc, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, p.invalid(i, "after array element")
		}
	}
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// shortString returns the index just past the string starting at doc[i] == '"' when it is plain
// ASCII closing within the next sixteen bytes, else -1: most keys and many values are that short,
// and this way they cost no call.
func shortString(doc []byte, i int) int {
	if i+17 > len(doc) {
		return -1
	}
	le := binary.LittleEndian
	k := i + 1
	m := special(le.Uint64(doc[k:]))
	if m == 0 {
		k += 8
		if m = special(le.Uint64(doc[k:])); m == 0 {
			return -1
		}
	}
	k += bits.TrailingZeros64(m) >> 3
	if doc[k] != '"' {
		return -1
	}
	return k + 1
}

// special flags, in the top bit of each byte of the little-endian word x, the bytes that are '"',
// '\\', < 0x20 or >= 0x80. A subtraction borrow can flag a byte after the first flagged one, never
// before it, so the lowest flag is always exact.
func special(x uint64) uint64 {
	q, b := x^(lsb*'"'), x^(lsb*'\\')
	return ((q - lsb) | (b - lsb) | (x - lsb*0x20) | x) & msb
}

// plainRun returns the index of the first byte from i on that is '"', '\\', a control character or
// not ASCII, looking at eight bytes at a time while eight remain: it may stop at a plain byte among
// the last seven, which the caller then looks at one by one. Most strings are short and end within
// the first two words; a longer one (a message body, a padding field no column reads, which must
// still be valid) is then skipped 32 bytes per test (a tenth of the CPU off a record of 1 KB), and
// past its first 48 bytes by scanBlocks where the platform has one (on amd64, 832 plain bytes in
// 52 ns instead of 105 with SSE2, and in 29-34 ns instead of SSE2's 44-49 with AVX2, measured on an
// AMD EPYC). Testing 32 bytes from the start cost more on short strings than it saved.
func plainRun(doc []byte, i int) int {
	le := binary.LittleEndian
	for k := 0; k < 2 && i+8 <= len(doc); k++ {
		if m := special(le.Uint64(doc[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for k := 0; i+32 <= len(doc); k++ {
		if k == 1 && haveScanBlocks {
			// Past the first block, a call to scanBlocks costs less than SWAR.
			end := i + (len(doc)-i)&^31
			if j := scanBlocks(doc, i, end); j < end {
				return j
			}
			i = end
			break
		}
		w := doc[i : i+32 : i+32]
		a, b, c, d := special(le.Uint64(w)), special(le.Uint64(w[8:])), special(le.Uint64(w[16:])), special(le.Uint64(w[24:]))
		switch {
		case a|b|c|d == 0:
			i += 32
			continue
		case a != 0:
			return i + bits.TrailingZeros64(a)>>3
		case b != 0:
			return i + 8 + bits.TrailingZeros64(b)>>3
		case c != 0:
			return i + 16 + bits.TrailingZeros64(c)>>3
		}
		return i + 24 + bits.TrailingZeros64(d)>>3
	}
	for i+8 <= len(doc) {
		if m := special(le.Uint64(doc[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	return i
}

// str scans the string starting at doc[i] == '"' and returns the index just past the closing quote
// and whether the string holds escapes.
func (p *parser) str(i int) (int, bool, error) {
	doc := p.doc
	esc := false
	i++
	for {
		i = plainRun(doc, i)
		if i >= len(doc) {
			return i, esc, p.eof()
		}
		switch c := doc[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(doc) {
				return len(doc), esc, p.eof()
			}
			switch doc[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(doc) {
						return k, esc, p.eof()
					}
					if !isHex(doc[k]) {
						return k, esc, p.invalid(k, "in \\u hexadecimal character escape")
					}
				}
				i += 6
			default:
				return i + 1, esc, p.invalid(i+1, "in string escape code")
			}
		case c < 0x20:
			return i, esc, p.invalid(i, "in string literal")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(doc[i:])
			if r == utf8.RuneError && size == 1 {
				return i, esc, &SyntaxError{Offset: i, Msg: "invalid UTF-8 in string"}
			}
			i += size
		}
	}
}

// number scans the number starting at doc[i] ('-' or a digit) and returns the index just past it.
// What may follow a number is the caller's business, which is how "01" fails after the "0".
func (p *parser) number(i int) (int, error) {
	doc := p.doc
	if doc[i] == '-' {
		i++
		if i >= len(doc) {
			return i, p.eof()
		}
		if !isDigit(doc[i]) {
			return i, p.invalid(i, "in numeric literal")
		}
	}
	if doc[i] == '0' {
		i++
	} else {
		for i++; i < len(doc) && isDigit(doc[i]); i++ {
		}
	}
	if i < len(doc) && doc[i] == '.' {
		i++
		if i >= len(doc) {
			return i, p.eof()
		}
		if !isDigit(doc[i]) {
			return i, p.invalid(i, "after decimal point in numeric literal")
		}
		for i++; i < len(doc) && isDigit(doc[i]); i++ {
		}
	}
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		if i >= len(doc) {
			return i, p.eof()
		}
		if !isDigit(doc[i]) {
			return i, p.invalid(i, "in exponent of numeric literal")
		}
		for i++; i < len(doc) && isDigit(doc[i]); i++ {
		}
	}
	return i, nil
}

// literal scans word (true, false or null), whose first byte is already known to be at doc[i].
func (p *parser) literal(i int, word string) (int, error) {
	doc := p.doc
	if i+len(word) <= len(doc) && string(doc[i:i+len(word)]) == word {
		return i + len(word), nil
	}
	for k := 1; k < len(word); k++ {
		if i+k >= len(doc) {
			return i + k, p.eof()
		}
		if doc[i+k] != word[k] {
			return i + k, p.invalid(i+k, "in literal "+word+" (expecting "+quoteChar(word[k])+")")
		}
	}
	return i + len(word), nil // unreachable: the fast path matched
}

// The error constructors stay out of line so the scanning loops keep small bodies.
//
//go:noinline
func (p *parser) eof() error {
	return &SyntaxError{Offset: len(p.doc), Msg: "unexpected end of JSON input"}
}

//go:noinline
func (p *parser) invalid(i int, context string) error {
	return &SyntaxError{Offset: i, Msg: "invalid character " + quoteChar(p.doc[i]) + " " + context}
}

// quoteChar formats c the way encoding/json's error messages do.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

func skipSpace(doc []byte, i int) int {
	for ; i < len(doc); i++ {
		if c := doc[i]; c > ' ' || (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
			return i
		}
	}
	return i
}

func isDigit(c byte) bool { return c-'0' < 10 }

func isHex(c byte) bool { return c-'0' < 10 || (c|0x20)-'a' < 6 }

// plainKey reports whether a path segment is valid UTF-8 without '"', '\\' or control bytes.
func plainKey(seg string) bool {
	for i := 0; i < len(seg); i++ {
		if c := seg[i]; c == '"' || c == '\\' || c < 0x20 {
			return false
		}
	}
	return utf8.ValidString(seg)
}

// lookupEscaped finds the kid whose key equals the raw key text, which holds escapes, and returns
// its index, or -1.
func lookupEscaped(kids []kid, key []byte) int {
	for x, k := range kids {
		if escapedEqual(key, k.key) {
			return x
		}
	}
	return -1
}

// escapedEqual reports whether the validated raw string text unescapes to seg, without needing a
// buffer for the unescaped key.
func escapedEqual(raw []byte, seg string) bool {
	var u [utf8.UTFMax]byte
	j := 0
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			if j >= len(seg) || seg[j] != raw[i] {
				return false
			}
			i++
			j++
			continue
		}
		r, n := unescapeOne(raw[i:])
		i += n
		w := utf8.EncodeRune(u[:], r)
		if len(seg)-j < w || seg[j:j+w] != string(u[:w]) {
			return false
		}
		j += w
	}
	return j == len(seg)
}

// unescape appends the unescaped form of the validated raw string text s to dst.
func unescape(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				return append(dst, s[i:]...)
			}
			dst = append(dst, s[i:i+j]...)
			i += j
			continue
		}
		r, n := unescapeOne(s[i:])
		i += n
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// unescapeOne decodes the escape sequence at the start of the validated s and returns the rune and
// the number of bytes it took. Surrogates follow encoding/json: a valid pair makes one rune, anything
// else U+FFFD, leaving a following escape to be read on its own.
func unescapeOne(s []byte) (rune, int) {
	switch s[1] {
	case 'u':
		r := hex4(s[2:6])
		if !utf16.IsSurrogate(r) {
			return r, 6
		}
		if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			if d := utf16.DecodeRune(r, hex4(s[8:12])); d != utf8.RuneError {
				return d, 12
			}
		}
		return utf8.RuneError, 6
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	}
	return rune(s[1]), 2
}

func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// SyntaxError describes why a document was rejected.
type SyntaxError struct {
	Offset int    // byte offset in the document where the problem was found (len(doc) if it ended early)
	Msg    string // what is wrong, e.g. "invalid character 'x' looking for beginning of value"
}

func (e *SyntaxError) Error() string {
	return "invalid JSON at byte " + strconv.Itoa(e.Offset) + ": " + e.Msg
}
