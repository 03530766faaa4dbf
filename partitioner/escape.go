package partitioner

// maxComponent is HDFS's default limit on one directory name (dfs.namenode.fs-limits.max-component-length).
const maxComponent = 255

// safe marks the bytes a field value keeps as they are in a path: letters, digits, . _ and -.
var safe = func() (s [256]bool) {
	for c := 0; c < 256; c++ {
		s[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	return s
}()

const upperHex = "0123456789ABCDEF"

// appendEscaped appends v with every other byte as %XX, which Hive and Spark unescape when they
// read a partition value back. It is stricter than Hive's own escaping, so that a value can never
// add a directory (/), name a parent (..) or smuggle in HDFS-illegal (:) or invisible characters.
//
// segStart says v opens a directory name. Then a leading . or _ is escaped too: with it the value
// could be . or .. on its own, and Hadoop input formats skip names starting with . or _ as hidden,
// so the rows would silently vanish from queries.
func appendEscaped(b, v []byte, segStart bool) []byte {
	for i, c := range v {
		if safe[c] && !(i == 0 && segStart && (c == '.' || c == '_')) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&0xF])
	}
	return b
}

func escape(v string, segStart bool) string {
	return string(appendEscaped(nil, []byte(v), segStart))
}
