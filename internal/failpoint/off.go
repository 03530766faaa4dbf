//go:build !failpoints

package failpoint

// Enabled says failpoints are compiled in: not in this build (no failpoints build tag).
const Enabled = false

// Hit does nothing: failpoints are compiled out of this build.
func Hit(string) {}
