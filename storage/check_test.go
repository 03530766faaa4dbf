package storage

import (
	"context"
	"os"
	"strings"
	"testing"
)

// cancelOnCreate is the local filesystem, with a stop arriving while the probe is written: Create
// cancels the context, and Remove honours it as the HDFS client does.
type cancelOnCreate struct {
	Local
	cancel context.CancelFunc
}

func (c cancelOnCreate) Create(ctx context.Context, name string) (File, error) {
	f, err := c.Local.Create(ctx, name)
	c.cancel()
	return f, err
}

func (c cancelOnCreate) Remove(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.Local.Remove(ctx, name)
}

// A loader stopped while it probes its output directory leaves no probe behind and does not call
// the directory unwritable (TestRealRebalanceStorm saw "not writable: remove …: context canceled").
func TestCheckWritableCancelledMidProbe(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := CheckWritable(ctx, cancelOnCreate{cancel: cancel}, dir); err != nil {
		t.Fatalf("CheckWritable = %v, want nil: the directory took the probe", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".kafka2hdfs-probe-") {
			t.Errorf("probe %s left behind", e.Name())
		}
	}
}
