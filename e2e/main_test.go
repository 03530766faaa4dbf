package e2e

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// TestMain runs the tests and, when K2H_GUARANTEES names a file, writes the guarantees table of the
// fault scenarios that ran (see guarantees_test.go and scripts/guarantees.sh) to it.
func TestMain(m *testing.M) {
	start := time.Now()
	if os.Getenv("K2H_SARAMA_LOG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.Lmicroseconds)
	}
	code := m.Run()
	if path := os.Getenv("K2H_GUARANTEES"); path != "" {
		if err := writeGuaranteesFile(path, code, time.Since(start)); err != nil {
			fmt.Fprintf(os.Stderr, "write guarantees table: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func writeGuaranteesFile(path string, code int, wall time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeGuarantees(f, code, wall); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
