package completeness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// Watermark is a partition's committed event-time watermark: the newest bucketing time among the
// records of the steps committed up to Offset (exclusive).
type Watermark struct {
	Offset    int64     `json:"offset"`
	Watermark time.Time `json:"watermark"`
}

// WatermarkPath is where a partition's watermark is kept:
// <root>/.kafka2hdfs/watermarks/<group>/<topic>/<partition>.json. The leading dot keeps it out of
// every reader's and the audit's way.
func WatermarkPath(root, group string, tp offsets.TP) string {
	return path.Join(root, ".kafka2hdfs", "watermarks", group, tp.Topic, strconv.Itoa(int(tp.Partition))+".json")
}

// ReadWatermark reads a partition's watermark; found is false when there is none.
func ReadWatermark(ctx context.Context, fsys storage.FS, root, group string, tp offsets.TP) (w Watermark, found bool, err error) {
	name := WatermarkPath(root, group, tp)
	f, err := fsys.Open(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		return w, false, nil
	}
	if err != nil {
		return w, false, fmt.Errorf("watermark of %s: %w", tp, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<16))
	if err != nil {
		return w, false, fmt.Errorf("watermark of %s: %w", tp, err)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return w, false, fmt.Errorf("watermark of %s: %s: %w", tp, name, err)
	}
	return w, true, nil
}

// WriteWatermark replaces a partition's watermark. Call it only after the commit of Offset
// succeeded: the file must never claim more than Kafka has committed.
func WriteWatermark(ctx context.Context, fsys storage.FS, root, group string, tp offsets.TP, w Watermark) error {
	b, _ := json.Marshal(w)
	if err := writeAtomic(ctx, fsys, WatermarkPath(root, group, tp), b); err != nil {
		return fmt.Errorf("watermark of %s: %w", tp, err)
	}
	return nil
}

// writeAtomic writes name through a hidden temporary file in the same directory and a rename, so
// a reader sees the old content or the new, never a part. The rename replaces name.
func writeAtomic(ctx context.Context, fsys storage.FS, name string, b []byte) error {
	dir := path.Dir(name)
	tmp := path.Join(dir, "."+path.Base(name)+"."+offsets.NewID()+".tmp")
	f, err := fsys.Create(ctx, tmp)
	if errors.Is(err, fs.ErrNotExist) {
		if err = fsys.MkdirAll(ctx, dir); err == nil {
			f, err = fsys.Create(ctx, tmp)
		}
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Abort()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		_ = fsys.Remove(ctx, tmp)
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := fsys.Rename(ctx, tmp, name); err != nil {
		_ = fsys.Remove(ctx, tmp)
		return fmt.Errorf("rename %s to %s: %w", tmp, name, err)
	}
	return nil
}
