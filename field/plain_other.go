//go:build !amd64

package field

// haveScanBlocks is false: plainRun tests long strings with SWAR throughout.
const haveScanBlocks = false

var scanBlocksAVX2, useAVX2 bool

func scanBlocks(doc []byte, i, end int) int { panic("field: no scanBlocks on this platform") }
