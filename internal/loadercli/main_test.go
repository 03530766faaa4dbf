package loadercli

import (
	"os"
	"testing"
)

// benchChildVar makes this test binary act as kafka2hdfs, so tests that need the loader as a
// process (security_test.go) run the test binary itself under the same build flags (-race)
// instead of building another. The name is the one the dev binary's benchmark smoke test uses.
const benchChildVar = "K2H_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(benchChildVar) == "1" {
		os.Exit(Main(os.Args))
	}
	os.Exit(m.Run())
}
