// Package staging reads and writes the Parquet files a pipeline run stages between
// extraction and loading. Files are written under a temporary name and renamed when
// complete, so a crash never leaves a half-written file that counts.
package staging

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// FileName is the name of the i-th staged file.
func FileName(i int) string { return fmt.Sprintf("part-%05d.parquet", i) }

// Writer writes record batches into numbered Parquet files of at most RowsPerFile rows.
type Writer struct {
	dir         string
	schema      *arrow.Schema
	rowsPerFile int64

	next     int // index of the next file to open
	cur      *pqarrow.FileWriter
	curFile  *os.File
	curRows  int64
	finished []string
	// OnFileDone is called after each file is complete and renamed.
	OnFileDone func(path string, rows int64) error
}

// NewWriter writes files into dir starting at file index first (for resumed runs).
func NewWriter(dir string, schema *arrow.Schema, rowsPerFile int64, first int) *Writer {
	return &Writer{dir: dir, schema: schema, rowsPerFile: rowsPerFile, next: first}
}

// Write appends one batch, which must not span a file boundary: callers size their
// batches with Room.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if w.cur == nil {
		if err := w.open(); err != nil {
			return err
		}
	}
	if err := w.cur.Write(rec); err != nil {
		return fmt.Errorf("write %s: %w", w.curFile.Name(), err)
	}
	w.curRows += rec.NumRows()
	if w.curRows >= w.rowsPerFile {
		return w.closeCurrent()
	}
	return nil
}

// Room is how many rows the current file still takes.
func (w *Writer) Room() int64 { return w.rowsPerFile - w.curRows }

// Close finishes the last file and returns every file this writer completed.
func (w *Writer) Close() ([]string, error) {
	if w.cur != nil && w.curRows > 0 {
		if err := w.closeCurrent(); err != nil {
			return nil, err
		}
	} else if w.cur != nil {
		_ = w.cur.Close()
		_ = os.Remove(w.curFile.Name())
		w.cur = nil
	}
	return w.finished, nil
}

// Abort removes the file being written.
func (w *Writer) Abort() {
	if w.cur != nil {
		_ = w.cur.Close()
		_ = os.Remove(w.curFile.Name())
		w.cur = nil
	}
}

func (w *Writer) open() error {
	tmp := filepath.Join(w.dir, "."+FileName(w.next)+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create staging file: %w", err)
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(64*1024))
	fw, err := pqarrow.NewFileWriter(w.schema, f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		return fmt.Errorf("open parquet writer: %w", err)
	}
	w.cur, w.curFile, w.curRows = fw, f, 0
	return nil
}

func (w *Writer) closeCurrent() error {
	tmp := w.curFile.Name()
	if err := w.cur.Close(); err != nil { // also closes the file
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	final := filepath.Join(w.dir, FileName(w.next))
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	rows := w.curRows
	w.cur, w.curFile, w.curRows = nil, nil, 0
	w.next++
	w.finished = append(w.finished, final)
	if w.OnFileDone != nil {
		return w.OnFileDone(final, rows)
	}
	return nil
}
