package errlist

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestFlatten(t *testing.T) {
	a, b, c := errors.New("a"), errors.New("b"), errors.New("c")
	wrapped := fmt.Errorf("wrapped: %w", c)
	got := Flatten(errors.Join(a, errors.Join(b, nil, wrapped)))
	if want := []error{a, b, wrapped}; !slices.Equal(got, want) {
		t.Errorf("Flatten = %v, want %v", got, want)
	}
	if got := Flatten(nil); got != nil {
		t.Errorf("Flatten(nil) = %v, want nil", got)
	}
	if got := Flatten(a); !slices.Equal(got, []error{a}) {
		t.Errorf("Flatten(a) = %v", got)
	}
}
