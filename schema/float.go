package schema

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
	1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseSimpleFloat parses a JSON number of at most 15 digits and no exponent ("12.34", "-7",
// "0.5"), the shape of prices and measures, exactly as strconv.ParseFloat does, and reports false
// for anything else, which strconv then parses. Such a number is an integer below 2^53 divided by
// a power of ten below 10^23, both exact in a float64, so one IEEE division rounds it correctly
// (strconv's own exact path; its parsing around it was a sixth of converting a record's columns).
func parseSimpleFloat(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	var m uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c-'0' < 10:
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 || (dot && frac == 0) {
		return 0, false
	}
	f := float64(m) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

// parseSimpleInt parses an integer of at most 18 digits with an optional minus sign, which cannot
// overflow an int64, exactly as strconv.ParseInt(s, 10, 64) does, and reports false for anything
// else, which strconv then parses or refuses. Ids and counts are that shape; strconv's generality
// (bases, underscores, the overflow check, an error value) cost 200 instructions more per value.
func parseSimpleInt(b []byte) (int64, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	if n := len(b) - i; n == 0 || n > 18 {
		return 0, false
	}
	var m int64
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			return 0, false
		}
		m = m*10 + int64(c)
	}
	if neg {
		m = -m
	}
	return m, true
}
