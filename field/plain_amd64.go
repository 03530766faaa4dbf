package field

import "golang.org/x/sys/cpu"

// haveScanBlocks says plainRun hands the rest of a long string to scanBlocks.
const haveScanBlocks = true

// useAVX2 picks scanAVX2 over scanSSE2: the CPU has AVX2 and the OS saves the YMM registers. A
// variable, so that the tests run scanSSE2 too.
var useAVX2 = cpu.X86.HasAVX2

// scanBlocks returns the index of the first byte of doc[i:end] that is '"', '\\', < 0x20 or >= 0x80,
// or end if there is none; end-i is a positive multiple of 32. It tests 16 bytes (SSE2, every amd64
// has it) or 32 (AVX2) with one compare per kind of special byte: SSE2 is 2.5 times as fast as
// SWAR's words over a long string (a message body, or the bench's padding field no column reads),
// and AVX2 does it in a third of SSE2's instructions.
func scanBlocks(doc []byte, i, end int) int {
	p := &doc[i:end][0]
	if useAVX2 {
		return i + scanAVX2(p, end-i)
	}
	return i + scanSSE2(p, end-i)
}

// scanSSE2 returns the offset of the first special byte of the n bytes at p (n a positive multiple
// of 16), or n.
//
//go:noescape
func scanSSE2(p *byte, n int) int

// scanAVX2 is scanSSE2 for n a positive multiple of 32, on a CPU with AVX2.
//
//go:noescape
func scanAVX2(p *byte, n int) int
