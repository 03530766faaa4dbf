package writer

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateStatisticsBounds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		wantMin string
		wantMax string
		maxOK   bool
	}{
		{"short stays", "abc", "abc", "abc", true},
		{"ascii", strings.Repeat("a", 10) + "zzz", strings.Repeat("a", 8), strings.Repeat("a", 7) + "b", true},
		{"utf-8 boundary", "aaaaaaaé" + "xyz", "aaaaaaa", "aaaaaab", true}, // é is 2 bytes at offsets 7..8: cut before it
		{"no ascii below 0x7f", strings.Repeat("é", 10), strings.Repeat("é", 4), "", false},
		{"tilde rounds to DEL", "aaaaaa~~~~", "aaaaaa~~", "aaaaaa~\x7f", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			min, _ := truncateMin([]byte(tc.in), 8)
			max, ok := truncateMax([]byte(tc.in), 8)
			if string(min) != tc.wantMin || ok != tc.maxOK || (ok && string(max) != tc.wantMax) {
				t.Errorf("truncate(%q) = min %q, max %q (%v); want %q, %q (%v)", tc.in, min, max, ok, tc.wantMin, tc.wantMax, tc.maxOK)
			}
			if !utf8.Valid(min) || (ok && !utf8.Valid(max)) {
				t.Errorf("truncate(%q) = %q, %q: not UTF-8", tc.in, min, max)
			}
			if bytes.Compare(min, []byte(tc.in)) > 0 || (ok && bytes.Compare(max, []byte(tc.in)) < 0) {
				t.Errorf("truncate(%q) = %q, %q: not bounds of the value", tc.in, min, max)
			}
		})
	}
}
