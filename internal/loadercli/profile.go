package loadercli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/urfave/cli/v2"
)

// Hidden global flags for profiling any command, so the benchmark can profile the loader
// subprocess it measures: `kafka2hdfs --cpuprofile FILE --memprofile FILE batch ...`.
func profileFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a CPU profile of the command to this file"},
		&cli.StringFlag{Name: "memprofile", Hidden: true, Usage: "write a heap profile taken when the heap in use peaked to this file"},
		&cli.StringFlag{Name: "trace", Hidden: true, Usage: "write an execution trace of the command to this file (go tool trace): where the loader waits"},
	}
}

var (
	cpuProfileFile *os.File
	traceFile      *os.File
	// stopHeapWatch ends the heap sampler and writes the profile of the peak.
	stopHeapWatch func() error
)

func startProfiles(c *cli.Context) error {
	var err error
	if cpuProfileFile, err = startTo(c.String("cpuprofile"), pprof.StartCPUProfile); err != nil {
		return err
	}
	if p := c.String("memprofile"); p != "" {
		stopHeapWatch = watchHeap(p)
	}
	traceFile, err = startTo(c.String("trace"), trace.Start)
	return err
}

// startTo creates the file at path (nil, nil for no path) and starts a recorder writing to it.
func startTo(path string, start func(io.Writer) error) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := createProfile(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func stopProfiles(*cli.Context) error {
	var err error
	if cpuProfileFile != nil {
		pprof.StopCPUProfile()
		err = cpuProfileFile.Close()
		cpuProfileFile = nil
	}
	if traceFile != nil {
		trace.Stop()
		if cerr := traceFile.Close(); err == nil {
			err = cerr
		}
		traceFile = nil
	}
	if stopHeapWatch != nil {
		if herr := stopHeapWatch(); err == nil {
			err = herr
		}
		stopHeapWatch = nil
	}
	return err
}

func createProfile(p string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return os.Create(p)
}

// watchHeap samples the heap in use every 200ms and keeps the heap profile of the highest sample:
// a profile at exit shows what is left, not what made the peak RSS.
func watchHeap(p string) func() error {
	runtime.MemProfileRate = 64 << 10
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var best []byte
		var peak uint64
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				f, err := createProfile(p)
				if err == nil {
					_, err = f.Write(best)
					if cerr := f.Close(); err == nil {
						err = cerr
					}
				}
				if err != nil {
					err = fmt.Errorf("memprofile: %w", err)
				}
				done <- err
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse <= peak {
					continue
				}
				peak = ms.HeapInuse
				var buf bytes.Buffer
				if err := pprof.Lookup("heap").WriteTo(&buf, 0); err == nil {
					best = buf.Bytes()
				}
			}
		}
	}()
	return func() error { cancel(); return <-done }
}
