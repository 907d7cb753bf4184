package icebergcat

import (
	"context"
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
