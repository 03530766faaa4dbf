package field

// Extractor reads a fixed set of JSON paths out of a document in one pass, without building a tree.
// Build it once per topic with NewExtractor and reuse it; it is safe for concurrent use because it
// keeps no per-call state.
type Extractor struct {
	paths []Path
	// IMPLEMENTED BY HELPER: compiled trie etc.
}

// NewExtractor compiles paths. Paths may share prefixes and one may be a prefix of another ("a" and
// "a.b"): then "a" receives the raw object text and "a.b" the nested value. Duplicate paths are allowed
// and receive the same value.
func NewExtractor(paths []Path) (*Extractor, error) {
	panic("not implemented")
}

// Paths returns the paths in the order Extract fills out.
func (e *Extractor) Paths() []Path { return e.paths }

// Extract validates doc strictly and stores the value of path i in out[i] (len(out) must be
// len(e.Paths())); paths not present are Missing. Escaped strings are unescaped into scratch,
// which is returned grown; other values alias doc. Errors are *SyntaxError.
func (e *Extractor) Extract(doc []byte, out []Value, scratch []byte) ([]byte, error) {
	panic("not implemented")
}

// SyntaxError describes why a document was rejected.
type SyntaxError struct {
	Offset int    // byte offset in the document where the problem was found
	Msg    string // what is wrong, e.g. "invalid character 'x' looking for beginning of value"
}

func (e *SyntaxError) Error() string { return "invalid JSON at byte " + itoa(e.Offset) + ": " + e.Msg }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
