// Package staging reads and writes the Parquet files a pipeline run stages between
// extraction and loading. They live in the staging store, object storage that every
// worker process shares (file:// for one machine, s3:// in production), so any
// activity may run on any process. A file becomes visible only once it is complete,
// so a crash never leaves a half-written file that counts.
package staging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/objstore"
)

// Store is the staging store: a location every worker process of the queue reaches.
type Store struct {
	loc *objstore.Location
}

// NewStore stages into loc.
func NewStore(loc *objstore.Location) *Store { return &Store{loc: loc} }

// Close releases the store.
func (s *Store) Close() error { return s.loc.Close() }

// URL is the store's base URL, ending in "/".
func (s *Store) URL() string { return s.loc.URL }

// URLOf is the full URL of a prefix or key, as handed to Airflow and shown to people.
func (s *Store) URLOf(key string) string { return s.loc.URL + key }

// Prefix joins name segments into a folder-like key prefix ending in "/"; each
// segment is reduced to safe characters, so no input can climb out of it.
func Prefix(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteString(contract.StagingSegment(s))
		b.WriteByte('/')
	}
	return b.String()
}

// Resolve turns a staging location from a workflow (a key prefix, a URL inside this
// store, or for a file:// store a folder inside it) into a key prefix. Anything
// outside the store is a ValidationError: workflow input never makes a worker read
// or write where its own configuration does not point.
func (s *Store) Resolve(field, loc string) (string, error) {
	key, ok := s.relative(loc)
	if ok {
		key = path.Clean("/" + key)[1:]
	}
	if !ok || key == "" || strings.HasPrefix(key, "..") {
		return "", contract.Invalid(field, "a location inside the worker's staging store %s, got %q", s.URL(), loc)
	}
	return key + "/", nil
}

func (s *Store) relative(loc string) (string, bool) {
	if strings.HasPrefix(loc, s.loc.URL) {
		return strings.TrimPrefix(loc, s.loc.URL), true
	}
	if strings.HasPrefix(s.loc.URL, "file://") && filepath.IsAbs(loc) {
		dir := strings.TrimPrefix(s.loc.URL, "file://")
		if rel, err := filepath.Rel(dir, loc); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel), true
		}
		return "", false
	}
	if strings.Contains(loc, "://") || strings.HasPrefix(loc, "/") || strings.Contains(loc, "\\") {
		return "", false
	}
	for _, seg := range strings.Split(loc, "/") {
		if seg == ".." {
			return "", false
		}
	}
	return loc, true
}

// IsFile tells whether key names a complete staged file.
func IsFile(key string) bool {
	base := path.Base(key)
	return strings.HasPrefix(base, "part-") && strings.HasSuffix(base, ".parquet")
}

// Files lists the complete staged Parquet files directly under prefix, in order.
func (s *Store) Files(ctx context.Context, prefix string) ([]string, error) {
	it := s.loc.Bucket.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var keys []string
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list staging %s: %w", s.URLOf(prefix), err)
		}
		if !obj.IsDir && IsFile(obj.Key) {
			keys = append(keys, obj.Key)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// Exists tells whether every key is in the store.
func (s *Store) Exists(ctx context.Context, keys []string) (bool, error) {
	for _, k := range keys {
		ok, err := s.loc.Bucket.Exists(ctx, k)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// Delete removes every object under prefix and reports how many it removed. An
// object already gone counts as removed, so a retried delete succeeds.
func (s *Store) Delete(ctx context.Context, prefix string) (int, error) {
	if prefix == "" || !strings.HasSuffix(prefix, "/") {
		return 0, contract.Invalid("staging", "a run's staging prefix, got %q", prefix)
	}
	it := s.loc.Bucket.List(&blob.ListOptions{Prefix: prefix})
	n := 0
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("list staging %s: %w", s.URLOf(prefix), err)
		}
		if obj.IsDir {
			continue
		}
		if err := s.Remove(ctx, obj.Key); err != nil {
			return n, err
		}
		n++
	}
}

// Remove deletes one object; one already gone is not an error.
func (s *Store) Remove(ctx context.Context, key string) error {
	if err := s.loc.Bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("delete %s: %w", s.URLOf(key), err)
	}
	return nil
}
