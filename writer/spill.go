package writer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/kafka2hdfs/kafka2hdfs/internal/failpoint"
)

// Spilling is how the memory budget holds without cutting files. Flushing a partition early to
// free memory would turn each of its buckets into a file, and with many buckets those files are
// tiny (the HDFS small-files problem). Instead, the buffered rows of the partition that holds the
// most are written to a local spill file and read back when their bucket's file is written, so a
// file still holds all of its bucket's rows of the step.
//
// A spill file is not durable and need not be: it holds rows of an uncommitted step, which a new
// owner replays from Kafka after a crash. It has no name (or loses it as soon as it is created,
// see createSpill), so a crash leaves nothing behind, and it lives as long as its step.

// Spill gives memory back without cutting a file, for the memory budget: the rows buffered in
// buckets without a file go to the step's local spill file (while the Budget has spill room), and
// the row groups of open files are written out early. It returns the bytes released; 0 means
// only a flush can help. A failing spill file is not an error, only no help: the rows stay in
// memory. An error writing a row group is the step's error.
func (p *Partition) Spill() (freed int64, err error) {
	b := p.cfg.Budget
	full := false // no more spilling this time; open files' row groups still end
	for _, bk := range p.order {
		if bk.out != nil {
			if n := bk.buf.cost + bk.out.rgBytes; n > 0 {
				if err := p.writePending(bk); err != nil {
					return freed, err
				}
				if bk.out.rgBytes > 0 {
					if err := p.endRowGroup(bk); err != nil {
						return freed, err
					}
				}
				freed += n
			}
			continue
		}
		if full || bk.buf.rows == 0 {
			continue
		}
		p.enc = appendBuffer(p.enc[:0], bk.buf, &p.vals)
		n := int64(len(p.enc))
		if full = !b.spillRoom(n); full {
			continue // encoding the other buckets would be wasted work
		}
		if p.spill == nil {
			sf, err := createSpill(b.SpillDir)
			if err != nil {
				p.cfg.log().Warn("cannot spill buffered rows", "dir", b.SpillDir, "err", err)
				full = true
				continue
			}
			p.spill = sf
		}
		if _, err := p.spill.f.WriteAt(p.enc, p.spill.size); err != nil {
			p.cfg.log().Warn("cannot spill buffered rows", "dir", b.SpillDir, "err", err)
			full = true
			continue
		}
		bk.segs = append(bk.segs, segment{off: p.spill.size, n: n, est: bk.buf.est})
		p.spill.size += n
		p.acct.addSpill(n)
		f := bk.buf.reset()
		p.acct.add(-f, -f)
		freed += f
		failpoint.Hit("after-spill")
	}
	if cap(p.enc) > 4<<20 {
		p.enc = nil // a large bucket's scratch is not kept between spills
	}
	return freed, nil
}

// replay moves a bucket's spilled rows from its step's spill file sf into its just-opened file,
// oldest first, ending row groups as they fill like directly written rows do.
func (p *Partition) replay(bk *bucket, sf *spillFile) error {
	of := bk.out
	cols := of.pw.ColumnWriters()
	var buf []byte
	var vals []parquet.Value
	for _, sg := range bk.segs {
		buf = slices.Grow(buf[:0], int(sg.n))[:sg.n]
		if _, err := sf.f.ReadAt(buf, sg.off); err != nil {
			return fmt.Errorf("read back spilled rows of %s: %w", bk.dir, err)
		}
		src := buf
		for c := range cols {
			var err error
			if vals, src, err = decodeColumn(src, c, vals); err != nil {
				return fmt.Errorf("read back spilled rows of %s: %w", bk.dir, err)
			}
			if _, err := cols[c].WriteRowValues(vals); err != nil {
				return fmt.Errorf("write %s: %w", of.staging, err)
			}
		}
		p.acct.addSpill(-sg.n)
		of.rgBytes += sg.est
		p.hold(bk, sg.est)
		if of.rgBytes >= p.cfg.rowGroupBytes() {
			if err := p.endRowGroup(bk); err != nil {
				return err
			}
		}
	}
	bk.segs = nil
	return nil
}

// spilledEst is the row-group estimate of the bucket's spilled rows.
func (bk *bucket) spilledEst() (est int64) {
	for _, sg := range bk.segs {
		est += sg.est
	}
	return est
}

// dropSpill takes a bucket's spilled rows off the budget when they will never be read back.
func (p *Partition) dropSpill(bk *bucket) {
	for _, sg := range bk.segs {
		p.acct.addSpill(-sg.n)
	}
	bk.segs = nil
}

// spillFile is one step's spill file, shared by the step's buckets. Segments are appended by the
// partition's goroutine and read back by whoever stages the step; a segment is never rewritten.
type spillFile struct {
	f    *os.File
	size int64 // next append offset: a failed write does not move it
}

// segment is one spill of one bucket's rows: all the bucket's columns, rows whole.
type segment struct {
	off, n int64
	est    int64 // the rows' row-group estimate, counted again once read back
}

// spillPattern names spill files where the file system cannot make them anonymous; such a file is
// unlinked right after it is created, so one that is still there was left by a kill in between.
const spillPattern = "kafka2hdfs-*.spill"

// errNoAnonymous says the file system cannot create a file without a name.
var errNoAnonymous = errors.New("anonymous files not supported")

func createSpill(dir string) (*spillFile, error) {
	if f, err := openAnonymous(dir); err == nil {
		return &spillFile{f: f}, nil
	} else if !errors.Is(err, errNoAnonymous) {
		return nil, err
	}
	f, err := os.CreateTemp(dir, spillPattern)
	if err != nil {
		return nil, err
	}
	// Unlinked at once: the open descriptor keeps it. A kill before this line leaves the file,
	// which PrepareSpillDir removes at the next start.
	_ = os.Remove(f.Name())
	return &spillFile{f: f}, nil
}

func (s *spillFile) close() {
	if s != nil {
		_ = s.f.Close()
	}
}

// PrepareSpillDir makes dir ready to take spill files: it creates it, removes the spill files a
// killed process left behind, and makes sure a spill file can be created now rather than when the
// budget first runs out. Removing a file another live process is creating is harmless: every spill
// file is unlinked while open, so its owner keeps using it. It returns how many files it removed.
func PrepareSpillDir(dir string) (removed int, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	left, err := filepath.Glob(filepath.Join(dir, spillPattern))
	if err != nil {
		return 0, err
	}
	for _, name := range left {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove a leftover spill file: %w", err)
		}
		removed++
	}
	sf, err := createSpill(dir)
	if err != nil {
		return removed, err
	}
	sf.close()
	return removed, nil
}

// Value encoding: a kind byte (nullKind for a null), the repetition and definition levels, then
// the value: fixed-size little endian, or a uvarint length and the bytes.
const nullKind = 0xff

// appendSegment encodes a row buffer's columns: per column a uvarint count, then its values.
func appendSegment(dst []byte, cols [][]parquet.Value) []byte {
	for _, vals := range cols {
		dst = binary.AppendUvarint(dst, uint64(len(vals)))
		for _, v := range vals {
			dst = appendValue(dst, v)
		}
	}
	return dst
}

// appendBuffer is appendSegment of a row buffer's columns, chunk by chunk.
func appendBuffer(dst []byte, b *rowBuffer, scratch *[]parquet.Value) []byte {
	for c := range b.cols {
		dst = binary.AppendUvarint(dst, uint64(b.columnLen(c)))
		_ = b.column(c, scratch, func(vals []parquet.Value) error {
			for _, v := range vals {
				dst = appendValue(dst, v)
			}
			return nil
		})
	}
	return dst
}

func appendValue(dst []byte, v parquet.Value) []byte {
	if v.IsNull() {
		return append(dst, nullKind, byte(v.RepetitionLevel()), byte(v.DefinitionLevel()))
	}
	k := v.Kind()
	dst = append(dst, byte(k), byte(v.RepetitionLevel()), byte(v.DefinitionLevel()))
	switch k {
	case parquet.Boolean:
		if v.Boolean() {
			return append(dst, 1)
		}
		return append(dst, 0)
	case parquet.Int32:
		return binary.LittleEndian.AppendUint32(dst, uint32(v.Int32()))
	case parquet.Int64:
		return binary.LittleEndian.AppendUint64(dst, uint64(v.Int64()))
	case parquet.Int96:
		for _, w := range v.Int96() {
			dst = binary.LittleEndian.AppendUint32(dst, w)
		}
		return dst
	case parquet.Float:
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(v.Float()))
	case parquet.Double:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Double()))
	default: // ByteArray, FixedLenByteArray
		b := v.ByteArray()
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		return append(dst, b...)
	}
}

var errCorruptSpill = errors.New("corrupt spill segment")

// decodeColumn decodes column c's values from the front of src into vals (reused), returning
// the rest of src. Byte values point into src.
func decodeColumn(src []byte, c int, vals []parquet.Value) ([]parquet.Value, []byte, error) {
	n, w := binary.Uvarint(src)
	if w <= 0 || n > uint64(len(src)) {
		return vals, nil, errCorruptSpill
	}
	src = src[w:]
	vals = vals[:0]
	for range n {
		if len(src) < 3 {
			return vals, nil, errCorruptSpill
		}
		kind, rep, def := src[0], int(src[1]), int(src[2])
		src = src[3:]
		k := parquet.Kind(kind)
		size := fixedSize(k) // 0 for a null or a byte array
		if len(src) < size {
			return vals, nil, errCorruptSpill
		}
		var v parquet.Value
		switch {
		case kind == nullKind:
			v = parquet.NullValue()
		case k == parquet.Boolean:
			v = parquet.BooleanValue(src[0] != 0)
		case k == parquet.Int32:
			v = parquet.Int32Value(int32(binary.LittleEndian.Uint32(src)))
		case k == parquet.Float:
			v = parquet.FloatValue(math.Float32frombits(binary.LittleEndian.Uint32(src)))
		case k == parquet.Int64:
			v = parquet.Int64Value(int64(binary.LittleEndian.Uint64(src)))
		case k == parquet.Double:
			v = parquet.DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(src)))
		case k == parquet.Int96:
			v = parquet.Int96Value(deprecated.Int96{binary.LittleEndian.Uint32(src),
				binary.LittleEndian.Uint32(src[4:]), binary.LittleEndian.Uint32(src[8:])})
		case k == parquet.ByteArray || k == parquet.FixedLenByteArray:
			l, w := binary.Uvarint(src)
			if w <= 0 || l > uint64(len(src)-w) {
				return vals, nil, errCorruptSpill
			}
			size = w + int(l)
			b := src[w:size:size]
			if k == parquet.ByteArray {
				v = parquet.ByteArrayValue(b)
			} else {
				v = parquet.FixedLenByteArrayValue(b)
			}
		default:
			return vals, nil, fmt.Errorf("%w: value kind %d", errCorruptSpill, kind)
		}
		src = src[size:]
		vals = append(vals, v.Level(rep, def, c))
	}
	return vals, src, nil
}

// fixedSize is the encoded size of a fixed-size kind's value, 0 for other kinds.
func fixedSize(k parquet.Kind) int {
	switch k {
	case parquet.Boolean:
		return 1
	case parquet.Int32, parquet.Float:
		return 4
	case parquet.Int64, parquet.Double:
		return 8
	case parquet.Int96:
		return 12
	}
	return 0
}
