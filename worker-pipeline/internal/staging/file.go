package staging

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"gocloud.dev/blob"
)

// object reads one stored file by ranges, so Parquet reads only the footer and the
// column chunks it needs, from S3 as from a local folder.
type object struct {
	ctx    context.Context
	bucket *blob.Bucket
	key    string
	size   int64
	off    int64
}

func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if off >= o.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), o.size-off)
	r, err := o.bucket.NewRangeReader(o.ctx, o.key, off, n, nil)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	got, err := io.ReadFull(r, p[:n])
	if err == nil && int(n) < len(p) {
		err = io.EOF
	}
	return got, err
}

func (o *object) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += o.off
	case io.SeekEnd:
		offset += o.size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative offset")
	}
	o.off = offset
	return offset, nil
}

// openParquet opens a staged file for reading.
func (s *Store) openParquet(ctx context.Context, key string) (*file.Reader, error) {
	attrs, err := s.loc.Bucket.Attributes(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", s.URLOf(key), err)
	}
	pf, err := file.NewParquetReader(&object{ctx: ctx, bucket: s.loc.Bucket, key: key, size: attrs.Size})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", s.URLOf(key), err)
	}
	return pf, nil
}

// Schema reads the Arrow schema of a staged file.
func (s *Store) Schema(ctx context.Context, key string) (*arrow.Schema, error) {
	pf, err := s.openParquet(ctx, key)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	return fr.Schema()
}

// RowCount reads a staged file's row count from its footer.
func (s *Store) RowCount(ctx context.Context, key string) (int64, error) {
	pf, err := s.openParquet(ctx, key)
	if err != nil {
		return 0, err
	}
	defer pf.Close()
	return pf.NumRows(), nil
}

// RowCounts sums the row counts of files.
func (s *Store) RowCounts(ctx context.Context, keys []string) (int64, error) {
	var n int64
	for _, k := range keys {
		c, err := s.RowCount(ctx, k)
		if err != nil {
			return 0, err
		}
		n += c
	}
	return n, nil
}

// Describe reads the footers of staged files written elsewhere (by a Spark job):
// their total rows and their common schema. Files whose schemas differ are an error
// naming both, since loading them would fail later and less clearly.
func (s *Store) Describe(ctx context.Context, keys []string) (int64, *arrow.Schema, error) {
	var rows int64
	var schema *arrow.Schema
	for _, key := range keys {
		pf, err := s.openParquet(ctx, key)
		if err != nil {
			return 0, nil, err
		}
		rows += pf.NumRows()
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		var sc *arrow.Schema
		if err == nil {
			sc, err = fr.Schema()
		}
		pf.Close()
		if err != nil {
			return 0, nil, fmt.Errorf("read the schema of %s: %w", s.URLOf(key), err)
		}
		if schema == nil {
			schema = sc
		} else if !schema.Equal(sc) {
			return 0, nil, fmt.Errorf("%s: schema differs from %s", s.URLOf(key), s.URLOf(keys[0]))
		}
	}
	return rows, schema, nil
}
