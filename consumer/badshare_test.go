package consumer

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

func TestBadReason(t *testing.T) {
	for _, tc := range []struct {
		stage string
		err   error
		want  string
	}{
		{"convert", &schema.ConvertError{Column: "ts", Field: "ts", Err: errors.New(`not a timestamp: "abc"`)}, `convert: column ts: not a timestamp: "…"`},
		{"convert", &schema.ConvertError{Column: "ts", Field: "ts", Err: errors.New(`not a timestamp: "xyz"`)}, `convert: column ts: not a timestamp: "…"`},
		{"convert", &schema.ConvertError{Column: "n", Field: "n", Err: fmt.Errorf("%d does not fit int32", 1<<40)}, `convert: column n: N does not fit int32`},
		{"parse", errors.New(`invalid character 'x' looking for beginning of value at offset 17`), `parse: invalid character 'x' looking for beginning of value at offset N`},
	} {
		if got := badReason(tc.stage, tc.err); got != tc.want {
			t.Errorf("badReason(%s, %v) = %q, want %q", tc.stage, tc.err, got, tc.want)
		}
	}
}

func TestBadShareExceeded(t *testing.T) {
	for _, tc := range []struct {
		consumed, bad, min int64
		share              float64
		want               bool
	}{
		{1000, 1000, 100, 0.5, true},
		{1000, 500, 100, 0.5, false},
		{1000, 501, 100, 0.5, true},
		{99, 99, 100, 0.5, false}, // too few to judge while running
		{10, 10, 1, 0.5, true},    // a batch's end judges any count
		{1000, 1000, 100, 1, false},
		{0, 0, 1, 0.5, false},
	} {
		st := &TopicStats{}
		st.consumed.Store(tc.consumed)
		st.rejected.Store(tc.bad)
		err := badShareExceeded("t", st, tc.share, tc.min)
		if got := errors.Is(err, ErrTooManyBadRecords); got != tc.want {
			t.Errorf("%d of %d bad, share %g, min %d: %v, want exceeded=%v", tc.bad, tc.consumed, tc.share, tc.min, err, tc.want)
		}
	}
}
