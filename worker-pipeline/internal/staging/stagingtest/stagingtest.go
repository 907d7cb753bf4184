// Package stagingtest opens staging stores for tests: a folder of the test's own.
package stagingtest

import (
	"context"
	"testing"

	"github.com/matih/ops/shared/objstore"
	"github.com/matih/ops/worker-pipeline/internal/staging"
)

// Store is a file:// staging store in a temporary folder, closed when the test ends.
func Store(t testing.TB) *staging.Store {
	t.Helper()
	return StoreAt(t, t.TempDir())
}

// StoreAt is a file:// staging store in dir, so a test can look at its files.
func StoreAt(t testing.TB, dir string) *staging.Store {
	t.Helper()
	loc, err := objstore.Settings{}.Open(context.Background(), "staging", "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	s := staging.NewStore(loc)
	t.Cleanup(func() { _ = s.Close() })
	return s
}
