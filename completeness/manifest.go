package completeness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// Marker file names in a bucket directory. Both start with "_", which Hadoop, Hive, Spark and the
// audit skip.
const (
	SuccessName  = "_SUCCESS"
	ManifestName = "_manifest.json"
)

// Manifest is _manifest.json: what the bucket held when it was marked complete, and the files that
// arrived later (policy into).
type Manifest struct {
	Version int    `json:"version"`
	Topic   string `json:"topic"`
	// Bucket is the directory relative to the topic's.
	Bucket      string    `json:"bucket"`
	BucketStart time.Time `json:"bucket_start"`
	BucketEnd   time.Time `json:"bucket_end"`
	// Watermark is the topic's low watermark when the bucket was marked: every partition had
	// committed past it, or was caught up.
	Watermark   time.Time      `json:"watermark"`
	CompletedAt time.Time      `json:"completed_at"`
	Records     int64          `json:"records"`
	Files       []ManifestFile `json:"files"`
	// LateRecords and LateFiles: files that appeared in the bucket after it was marked.
	LateRecords int64          `json:"late_records"`
	LateFiles   []ManifestFile `json:"late_files"`
}

// ManifestFile is one Parquet file of a bucket. The offsets are the range of the step that wrote
// it (its name): the file holds the records of that range whose bucket this is.
type ManifestFile struct {
	Name        string     `json:"name"`
	Partition   int32      `json:"partition"`
	FirstOffset int64      `json:"first_offset"`
	LastOffset  int64      `json:"last_offset"`
	Records     int64      `json:"records"`
	Bytes       int64      `json:"bytes"`
	NotedAt     *time.Time `json:"noted_at,omitempty"`
}

// fileEntry reads one step file's record count from its footer.
func fileEntry(ctx context.Context, fsys storage.FS, dir, name string) (ManifestFile, error) {
	tp, start, end, _ := offsets.ParseFileName(name)
	e := ManifestFile{Name: name, Partition: tp.Partition, FirstOffset: start, LastOffset: end}
	f, err := fsys.Open(ctx, path.Join(dir, name))
	if err != nil {
		return e, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	pf, err := parquet.OpenFile(f, f.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return e, fmt.Errorf("read the footer of %s: %w", path.Join(dir, name), err)
	}
	e.Records, e.Bytes = pf.NumRows(), f.Size()
	return e, nil
}

func sortFiles(fs []ManifestFile) {
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].Partition != fs[j].Partition {
			return fs[i].Partition < fs[j].Partition
		}
		return fs[i].FirstOffset < fs[j].FirstOffset
	})
}

// ReadManifest reads a bucket's manifest.
func ReadManifest(ctx context.Context, fsys storage.FS, dir string) (*Manifest, error) {
	f, err := fsys.Open(ctx, path.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path.Join(dir, ManifestName), err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read %s: %w", path.Join(dir, ManifestName), err)
	}
	return &m, nil
}

func writeManifest(ctx context.Context, fsys storage.FS, dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(ctx, fsys, path.Join(dir, ManifestName), append(b, '\n'))
}
