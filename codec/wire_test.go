package codec

import (
	"errors"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		id   int
		body string
		err  error
	}{
		{[]byte{0, 0, 0, 1, 2, 'x'}, 258, "x", nil},
		{[]byte{0, 0, 0, 0, 7}, 7, "", nil},
		{[]byte{1, 0, 0, 0, 7}, 0, "", ErrWire},
		{[]byte{0, 0, 0}, 0, "", ErrWire},
		{nil, 0, "", ErrWire},
	} {
		id, body, err := Split(tc.in)
		if !errors.Is(err, tc.err) || id != tc.id || string(body) != tc.body {
			t.Errorf("Split(%v) = %d, %q, %v; want %d, %q, %v", tc.in, id, body, err, tc.id, tc.body, tc.err)
		}
	}
}

// FuzzSplit: never panics; a nil error means a 0 magic byte and body = input[5:].
func FuzzSplit(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 2})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, in []byte) {
		_, body, err := Split(in)
		if err != nil {
			return
		}
		if in[0] != 0 || len(body) != len(in)-HeaderLen {
			t.Fatalf("accepted %v with body %v", in, body)
		}
	})
}
