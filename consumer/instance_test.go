package consumer

import (
	"regexp"
	"strings"
	"testing"
)

func TestAutoInstanceID(t *testing.T) {
	a, b := AutoInstanceID("g1"), AutoInstanceID("g1")
	if a != b || a == AutoInstanceID("g2") {
		t.Errorf("AutoInstanceID: %q, %q; want stable per group, distinct across groups", a, b)
	}
	long := AutoInstanceID("group with spaces/" + strings.Repeat("x", 400))
	if !regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`).MatchString(long) {
		t.Errorf("AutoInstanceID = %q: not a valid Kafka instance id", long)
	}
}

// Two members on one host never share an instance id: the second lock fails until the first is
// released.
func TestLockInstance(t *testing.T) {
	release := lockInstance("g-lock-test", "id")
	if release == nil {
		t.Fatal("first lock failed")
	}
	if again := lockInstance("g-lock-test", "id"); again != nil {
		again()
		t.Fatal("a second lock of the same id succeeded")
	}
	other := lockInstance("g-lock-test", "other")
	if other == nil {
		t.Fatal("a lock of another id failed")
	}
	other()
	release()
	if after := lockInstance("g-lock-test", "id"); after == nil {
		t.Fatal("the lock was not released")
	} else {
		after()
	}
}
