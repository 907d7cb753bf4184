package icebergcat

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

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
// over they close again, so a long-running worker's descriptors do not keep the
// largest burst it ever saw.
func TestConnectionsOpenedByABurstCloseWhenIdle(t *testing.T) {
	defer func(d time.Duration) { idleConnLifetime = d }(idleConnLifetime)
	idleConnLifetime = 100 * time.Millisecond
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
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
	require.Equal(t, 2, db.Stats().Idle, "the pool keeps two idle connections by default")
	require.Eventually(t, func() bool { return db.Stats().OpenConnections == 0 }, 10*time.Second, 50*time.Millisecond,
		"idle connections close after idleConnLifetime")
	assert.Positive(t, db.Stats().MaxIdleTimeClosed)
}
