package objstore

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/apache/iceberg-go/utils"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/datadir"
)

func roundTrip(t *testing.T, loc *Location) {
	ctx := context.Background()
	w, err := loc.Bucket.NewWriter(ctx, "runs/a/part-00000.parquet", nil)
	require.NoError(t, err)
	_, err = w.Write([]byte("staged"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	r, err := loc.Bucket.NewReader(ctx, "runs/a/part-00000.parquet", nil)
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	r.Close()
	assert.Equal(t, "staged", string(b))
}

func TestFolderLocationsAreInsideTheDataDirectory(t *testing.T) {
	base := t.TempDir()
	require.NoError(t, datadir.Set(base))
	t.Cleanup(func() { _ = datadir.Set(datadir.Default()) })
	t.Chdir(t.TempDir())
	loc, err := Settings{}.Open(context.Background(), "--staging-url", "staging")
	require.NoError(t, err)
	defer loc.Close()
	assert.Equal(t, "file://"+filepath.Join(base, "staging")+"/", loc.URL)
	roundTrip(t, loc)
	assert.FileExists(t, filepath.Join(base, "staging", "runs", "a", "part-00000.parquet"))
}

func TestBadLocationsNameTheFieldAndWhatWasExpected(t *testing.T) {
	for raw, want := range map[string]string{
		"":                   "--staging-url: expected a file:// or s3:// URL or a folder",
		"ftp://host/x":       `expected a file:// or s3:// URL, got scheme "ftp"`,
		"s3:///prefix":       "an s3:// URL names a bucket",
		"file://host/x":      "names a local folder",
		"gs://bucket/prefix": "gs:// is not built in",
	} {
		_, err := Settings{}.Open(context.Background(), "--staging-url", raw)
		require.Error(t, err, raw)
		assert.Contains(t, err.Error(), want, raw)
	}
	assert.ErrorContains(t, Settings{Endpoint: "127.0.0.1:9000"}.Validate(), "--s3-endpoint: expected http(s)://host[:port]")
}

func TestIcebergContextCarriesTheSameRetryer(t *testing.T) {
	ctx, err := Settings{Region: "eu-west-1", MaxAttempts: 7}.IcebergContext(context.Background())
	require.NoError(t, err)
	cfg := utils.GetAwsConfig(ctx)
	require.NotNil(t, cfg, "iceberg-go finds the config in the context")
	assert.Equal(t, "eu-west-1", cfg.Region)
	assert.Equal(t, 7, cfg.Retryer().MaxAttempts())
}

func TestS3SettingsAreCheckedByName(t *testing.T) {
	_, err := Settings{}.Open(context.Background(), "--warehouse", "s3://lake/wh?region=x")
	assert.ErrorContains(t, err, "--warehouse: an s3:// URL takes no settings (?region=x)")
	assert.ErrorContains(t, Settings{MaxAttempts: 51}.Validate(), "--s3-max-attempts: expected 1 to 50 (0: the default, 10), got 51")
	assert.ErrorContains(t, Settings{MaxAttempts: -1}.Validate(), "--s3-max-attempts: expected 1 to 50 (0: the default, 10), got -1")
	assert.NoError(t, Settings{MaxAttempts: 3}.Validate())
}
