package field

// haveScanBlocks says plainRun hands the rest of a long string to scanBlocks.
const haveScanBlocks = true

// scanBlocks returns the index of the first byte of doc[i:end] that is '"', '\\', < 0x20 or >= 0x80,
// or end if there is none; end-i is a positive multiple of 32. It tests 16 bytes with one SSE2
// compare per kind of special byte (every amd64 has SSE2): 2.5 times as fast as SWAR's words over
// a long string (a message body, or the bench's padding field no column reads). AVX2, 32 bytes at
// a time, measured 2.5 times slower than SWAR on this project's machines (Xeon VMs).
func scanBlocks(doc []byte, i, end int) int {
	return i + scanSSE2(&doc[i:end][0], end-i)
}

// scanSSE2 returns the offset of the first special byte of the n bytes at p (n a positive multiple
// of 16), or n.
//
//go:noescape
func scanSSE2(p *byte, n int) int
