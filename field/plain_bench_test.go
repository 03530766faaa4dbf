package field

import (
	"strings"
	"testing"
)

// BenchmarkPlainRun is plainRun over a long plain string (scanBlocks past its first 48 bytes).
func BenchmarkPlainRun(b *testing.B) {
	doc := []byte(strings.Repeat("x", 832) + `"}`)
	for b.Loop() {
		if plainRun(doc, 0) != 832 {
			b.Fatal("wrong end")
		}
	}
}
