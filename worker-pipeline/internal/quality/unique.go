package quality

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/matih/ops/shared/contract"
)

// DefaultUniqueMemory is what one unique check may hold in memory before it spills
// its keys to disk: several checks run at once in one worker (--concurrency), and
// together they must fit its memory limit.
const DefaultUniqueMemory = 128 << 20

const (
	// entryOverhead is what a Go map entry of a string key costs beyond the key's
	// bytes (header, bucket share, load factor): an estimate, on the safe side.
	entryOverhead = 64
	// spillFanout is how many partition files the keys are hashed into; a partition
	// still too large is split again with a new seed.
	spillFanout = 64
	maxSplits   = 4
)

// unique counts rows whose key (the check's columns) was seen before, in bounded
// memory: keys are kept in a map until it would pass half the limit (the rest is
// the garbage collector's headroom and the map's growth), then every key goes to
// one of spillFanout files in dir by hash, and each file is checked alone.
type unique struct {
	cols     []int
	limit    int64
	dir      string // where spill files go (the worker's data directory)
	seen     map[string]struct{}
	bytes    int64
	spill    *spillSet
	rows     int64
	failed   int64
	distinct int64 // once the spilled keys are checked
	samples  *sampler
	key      []byte
	err      error
}

func newUnique(cols []int, limit int64, dir string, s *sampler) *unique {
	if limit <= 0 {
		limit = DefaultUniqueMemory
	}
	return &unique{cols: cols, limit: limit / 2, dir: dir, seen: map[string]struct{}{}, samples: s}
}

func (u *unique) observe(rec arrow.RecordBatch) {
	for i := 0; i < int(rec.NumRows()) && u.err == nil; i++ {
		u.key = appendKey(u.key[:0], rec, u.cols, i)
		u.rows++
		if u.spill != nil {
			u.err = u.spill.add(u.key)
			continue
		}
		if _, dup := u.seen[string(u.key)]; dup {
			u.failed++
			u.samples.add(displayKey(u.key))
			continue
		}
		u.seen[string(u.key)] = struct{}{}
		if u.bytes += int64(len(u.key)) + entryOverhead; u.bytes > u.limit {
			u.err = u.spillAll()
		}
	}
}

// spillAll moves the distinct keys so far to the partition files; every later key
// goes there too.
func (u *unique) spillAll() error {
	s, err := newSpillSet(u.dir, spillFanout, maphash.MakeSeed())
	if err != nil {
		return err
	}
	u.spill = s
	for k := range u.seen {
		if err := s.add([]byte(k)); err != nil {
			return err
		}
	}
	u.seen, u.bytes = nil, 0
	return nil
}

// finish checks the spilled keys, partition by partition; a disk that fails the
// check fails the activity (it is retried), never the data.
func (u *unique) finish() error {
	if u.err != nil || u.spill == nil {
		return u.err
	}
	d, err := u.spill.distinct(u, 0)
	if err != nil {
		return err
	}
	u.distinct, u.failed = d, u.rows-d
	return nil
}

func (u *unique) result(total int64) contract.CheckResult {
	distinct := u.distinct
	if u.spill == nil {
		distinct = int64(len(u.seen))
	}
	return contract.CheckResult{Passed: u.failed == 0, FailedRows: u.failed, Samples: u.samples.vals,
		Detail: fmt.Sprintf("%d duplicate rows among %d (%d distinct)", u.failed, total, distinct)}
}

// close removes the spill files, whatever happened to the scan.
func (u *unique) close() {
	if u.spill != nil {
		u.spill.remove()
	}
}

// appendKey encodes a row's key columns unambiguously: per column a null marker,
// or the value's length and text.
func appendKey(b []byte, rec arrow.RecordBatch, cols []int, i int) []byte {
	for _, c := range cols {
		col := rec.Column(c)
		if col.IsNull(i) {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		switch a := col.(type) {
		case *array.Int64:
			var digits [20]byte
			b = appendText(b, strconv.AppendInt(digits[:0], a.Value(i), 10))
		case *array.String:
			b = binary.AppendUvarint(b, uint64(len(a.Value(i))))
			b = append(b, a.Value(i)...)
		default:
			b = appendText(b, []byte(col.ValueStr(i)))
		}
	}
	return b
}

func appendText(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// displayKey is an encoded key as a sample shows it: "a, b", (null) for nulls.
func displayKey(k []byte) string {
	var parts []string
	for len(k) > 0 {
		if k[0] == 0 {
			parts, k = append(parts, "(null)"), k[1:]
			continue
		}
		n, w := binary.Uvarint(k[1:])
		if w <= 0 || 1+w+int(n) > len(k) {
			break
		}
		parts, k = append(parts, string(k[1+w:1+w+int(n)])), k[1+w+int(n):]
	}
	return strings.Join(parts, ", ")
}

// spillSet is keys hashed into files, each of which fits in memory when read alone.
type spillSet struct {
	dir   string
	seed  maphash.Seed
	files []*os.File
	bufs  []*bufio.Writer
	sizes []int64
	count []int64
}

func newSpillSet(parent string, fanout int, seed maphash.Seed) (*spillSet, error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("unique check spill directory: %w", err)
	}
	dir, err := os.MkdirTemp(parent, "unique-")
	if err != nil {
		return nil, fmt.Errorf("unique check spill directory: %w", err)
	}
	s := &spillSet{dir: dir, seed: seed, sizes: make([]int64, fanout), count: make([]int64, fanout)}
	for i := 0; i < fanout; i++ {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("p%03d", i)))
		if err != nil {
			s.remove()
			return nil, fmt.Errorf("unique check spill file: %w", err)
		}
		s.files = append(s.files, f)
		s.bufs = append(s.bufs, bufio.NewWriterSize(f, 32<<10))
	}
	return s, nil
}

func (s *spillSet) add(k []byte) error {
	p := maphash.Bytes(s.seed, k) % uint64(len(s.files))
	w := s.bufs[p]
	var n [binary.MaxVarintLen64]byte
	if _, err := w.Write(n[:binary.PutUvarint(n[:], uint64(len(k)))]); err != nil {
		return fmt.Errorf("unique check spill: %w", err)
	}
	if _, err := w.Write(k); err != nil {
		return fmt.Errorf("unique check spill: %w", err)
	}
	s.sizes[p] += int64(len(k))
	s.count[p]++
	return nil
}

// distinct counts the distinct keys of every partition, adding duplicates to u's
// samples; a partition whose keys would pass u's limit is split again.
func (s *spillSet) distinct(u *unique, depth int) (int64, error) {
	var total int64
	for i, w := range s.bufs {
		if err := w.Flush(); err != nil {
			return 0, fmt.Errorf("unique check spill: %w", err)
		}
		if _, err := s.files[i].Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		var d int64
		var err error
		if s.sizes[i]+s.count[i]*entryOverhead > u.limit && depth < maxSplits {
			d, err = s.split(u, i, depth)
		} else {
			d, err = s.count1(u, i)
		}
		if err != nil {
			return 0, err
		}
		total += d
	}
	return total, nil
}

// count1 reads partition i into a map.
func (s *spillSet) count1(u *unique, i int) (int64, error) {
	seen := make(map[string]struct{}, s.count[i])
	err := readKeys(s.files[i], func(k []byte) error {
		if _, dup := seen[string(k)]; dup {
			u.samples.add(displayKey(k))
			return nil
		}
		seen[string(k)] = struct{}{}
		return nil
	})
	return int64(len(seen)), err
}

// split hashes partition i again, with a new seed, into a set of its own.
func (s *spillSet) split(u *unique, i, depth int) (int64, error) {
	sub, err := newSpillSet(s.dir, spillFanout, maphash.MakeSeed())
	if err != nil {
		return 0, err
	}
	defer sub.remove()
	if err := readKeys(s.files[i], sub.add); err != nil {
		return 0, err
	}
	return sub.distinct(u, depth+1)
}

func readKeys(f *os.File, each func([]byte) error) error {
	r := bufio.NewReaderSize(f, 32<<10)
	var k []byte
	for {
		n, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unique check spill: %w", err)
		}
		if uint64(cap(k)) < n {
			k = make([]byte, n)
		}
		k = k[:n]
		if _, err := io.ReadFull(r, k); err != nil {
			return fmt.Errorf("unique check spill: %w", err)
		}
		if err := each(k); err != nil {
			return err
		}
	}
}

func (s *spillSet) remove() {
	for _, f := range s.files {
		_ = f.Close()
	}
	_ = os.RemoveAll(s.dir)
}
