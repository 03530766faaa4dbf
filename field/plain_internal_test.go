package field

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// scanBlocks (SSE2 or AVX2 on amd64) finds the first special byte: every byte value at every
// position of up to four blocks, on a plain background, with a second special byte after the first.
// Both implementations this CPU can run are tested.
func TestScanBlocks(t *testing.T) {
	if !haveScanBlocks {
		t.Skip("no scanBlocks on this platform: plainRun uses SWAR only")
	}
	impls := map[string]bool{"SSE2": false}
	if cpu.X86.HasAVX2 {
		impls["AVX2"] = true
	}
	for name, avx2 := range impls {
		t.Run(name, func(t *testing.T) {
			defer func(was bool) { useAVX2 = was }(useAVX2)
			useAVX2 = avx2
			testScanBlocks(t)
		})
	}
}

func testScanBlocks(t *testing.T) {
	isSpecial := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	for _, n := range []int{32, 64, 128} {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				doc := make([]byte, n+8) // bytes past end are never looked at
				for k := range doc {
					doc[k] = 'a' + byte(k%26)
				}
				doc[n] = '"'
				doc[pos] = byte(c)
				if pos+5 < n {
					doc[pos+5] = '\\'
				}
				got := scanBlocks(doc, 0, n)
				switch {
				case isSpecial(byte(c)) && got != pos:
					t.Fatalf("n %d, byte %#x at %d: found %d", n, c, pos, got)
				case !isSpecial(byte(c)) && pos+5 < n && got != pos+5:
					t.Fatalf("n %d, plain byte %#x at %d: found %d, want the backslash at %d", n, c, pos, got, pos+5)
				case !isSpecial(byte(c)) && pos+5 >= n && got != n:
					t.Fatalf("n %d, plain byte %#x at %d: found %d, want none (%d)", n, c, pos, got, n)
				}
			}
		}
	}
	// An offset start, and nothing special: end.
	doc := make([]byte, 100)
	for k := range doc {
		doc[k] = 'x'
	}
	if got := scanBlocks(doc, 4, 68); got != 68 {
		t.Fatalf("plain run: %d, want 68", got)
	}
	doc[67] = 0x7f // DEL is plain in JSON
	doc[68] = '"'  // past end
	if got := scanBlocks(doc, 4, 68); got != 68 {
		t.Fatalf("DEL and a quote past the end: %d, want 68", got)
	}
	doc[5] = 0x1f
	if got := scanBlocks(doc, 4, 68); got != 5 {
		t.Fatalf("control byte at 5: %d", got)
	}
}
