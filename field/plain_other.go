//go:build !amd64

package field

// haveScanBlocks is false: plainRun tests long strings with SWAR throughout.
const haveScanBlocks = false

// useAVX2 is for the tests, which pick an implementation of scanBlocks.
var useAVX2 bool

func scanBlocks(doc []byte, i, end int) int { panic("field: no scanBlocks on this platform") }
