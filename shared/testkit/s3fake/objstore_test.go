package s3fake_test

// objstore against this server: its S3 tests live here, so that shared, which
// objstore belongs to, requires no test server.

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"

	"github.com/matih/ops/shared/objstore"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/shared/testkit/s3fake"
)

// roundTrip writes one object through loc and reads it back.
func roundTrip(t *testing.T, loc *objstore.Location) {
	ctx := context.Background()
	require.NoError(t, loc.Bucket.WriteAll(ctx, "runs/a/part-00000.parquet", []byte("staged"), nil))
	b, err := loc.Bucket.ReadAll(ctx, "runs/a/part-00000.parquet")
	require.NoError(t, err)
	assert.Equal(t, "staged", string(b))
}

func TestS3LocationsReachAnS3ProtocolServerUnderTheirPrefix(t *testing.T) {
	s3 := s3fake.Start(t, "lake")
	loc, err := objstore.Settings{Endpoint: s3.Endpoint}.Open(context.Background(), "--staging-url", "s3://lake/staging/")
	require.NoError(t, err)
	defer loc.Close()
	assert.Equal(t, "s3://lake/staging/", loc.URL)
	roundTrip(t, loc)
	assert.Equal(t, []string{"staging/runs/a/part-00000.parquet"}, s3.Keys(t, ""))
}

func TestS3RequestsRideOutAStoreRefusingForSomeSeconds(t *testing.T) {
	s3 := s3fake.Start(t, "lake")
	proxy := testkit.StartFaultProxy(t, s3.Endpoint)
	loc, err := objstore.Settings{Endpoint: proxy.URL}.Open(context.Background(), "--staging-url", "s3://lake/staging/")
	require.NoError(t, err)
	defer loc.Close()

	proxy.Fail(503, 3*time.Second)
	roundTrip(t, loc)
	assert.Positive(t, proxy.Refused(), "the fault was on during the round trip")

	once, err := objstore.Settings{Endpoint: proxy.URL, MaxAttempts: 1}.Open(context.Background(), "--staging-url", "s3://lake/staging/")
	require.NoError(t, err)
	defer once.Close()
	proxy.Fail(503, 3*time.Second)
	_, err = once.Bucket.List(&blob.ListOptions{}).Next(context.Background())
	assert.ErrorContains(t, err, "503", "a single try fails on the first refusal")
}
