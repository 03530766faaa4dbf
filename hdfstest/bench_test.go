package hdfstest

import (
	"fmt"
	"testing"
)

// Throughput of a 64 MiB file through the real client, written in 1 MiB writes and read back
// with ReadFile. Run with: go test -run '^$' -bench . ./hdfstest
func BenchmarkFile64MiB(b *testing.B) {
	const size = 64 << 20
	data := testData(size, 12)
	for _, bs := range []int64{1 << 20, 128 << 20} {
		c := startCluster(b, Options{BlockSize: bs})
		cl := newClient(b, c)
		b.Run(fmt.Sprintf("write/block=%dMiB", bs>>20), func(b *testing.B) {
			b.SetBytes(size)
			for i := 0; b.Loop(); i++ {
				writeFile(b, cl, fmt.Sprintf("/bench-%d", i), data, 1<<20)
				b.StopTimer()
				cl.Remove(fmt.Sprintf("/bench-%d", i))
				b.StartTimer()
			}
		})
		writeFile(b, cl, "/read", data, 1<<20)
		b.Run(fmt.Sprintf("read/block=%dMiB", bs>>20), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				if got := readFile(b, cl, "/read"); len(got) != size {
					b.Fatalf("read %d bytes", len(got))
				}
			}
		})
	}
}
