package icebergcat

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/apache/iceberg-go/catalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTwoOpeningsOfOneSQLiteCatalogSeeTheSameNamespaces(t *testing.T) {
	dir := t.TempDir()
	uri, wh := filepath.Join(dir, "sub", "catalog.db"), filepath.Join(dir, "warehouse")
	a, closeA, err := OpenSQL(uri, wh, nil)
	require.NoError(t, err)
	defer closeA()
	require.NoError(t, a.CreateNamespace(context.Background(), catalog.ToIdentifier("demo"), nil))
	b, closeB, err := OpenSQL(uri, wh, nil)
	require.NoError(t, err, "a second worker opens the same catalog")
	defer closeB()
	ok, err := b.CheckNamespaceExists(context.Background(), catalog.ToIdentifier("demo"))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.DirExists(t, wh, "the warehouse folder is created")
}

// A burst of concurrent catalog calls opens several connections; once the burst is
// over one stays open for the next call and the others close, so a long-running
// worker's descriptors do not keep the largest burst it ever saw.
func TestABurstLeavesOneConnectionOpen(t *testing.T) {
	db, _, err := openDB(filepath.Join(t.TempDir(), "catalog.db"))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	var conns []*sql.Conn
	for range 3 {
		c, err := db.Conn(ctx)
		require.NoError(t, err)
		require.NoError(t, c.PingContext(ctx))
		conns = append(conns, c)
	}
	require.Equal(t, 3, db.Stats().OpenConnections)
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
	assert.Equal(t, 1, db.Stats().OpenConnections, "one connection stays, the burst's others close")
	assert.Equal(t, 1, db.Stats().Idle)
	assert.Equal(t, int64(2), db.Stats().MaxIdleClosed)
}
