// Package s3fake is an S3-protocol server for tests: gofakes3 in memory on
// loopback, with the credentials the AWS SDK asks for.
package s3fake

import (
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 is an S3-protocol server on loopback, in memory, with one bucket. Worker
// processes reach it with --s3-endpoint and any AWS credentials in the environment.
type S3 struct {
	Endpoint string
	Bucket   string
	backend  *s3mem.Backend
}

// Start starts the server with bucket and stops it when the test ends. It sets
// the AWS credentials the SDK asks for in this process; Env gives them to children.
func Start(t testing.TB, bucket string) *S3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithAutoBucket(false)).Server())
	t.Cleanup(srv.Close)
	for k, v := range s3Credentials {
		t.Setenv(k, v)
	}
	return &S3{Endpoint: srv.URL, Bucket: bucket, backend: backend}
}

var s3Credentials = map[string]string{
	"AWS_ACCESS_KEY_ID": "matih-test", "AWS_SECRET_ACCESS_KEY": "matih-test-secret", "AWS_REGION": "us-east-1",
	"AWS_EC2_METADATA_DISABLED": "true",
}

// Env is what a worker process needs to use this server.
func (s *S3) Env() []string {
	env := []string{"MATIH_S3_ENDPOINT=" + s.Endpoint}
	for k, v := range s3Credentials {
		env = append(env, k+"="+v)
	}
	return env
}

// Keys lists every object key in the bucket under prefix.
func (s *S3) Keys(t testing.TB, prefix string) []string {
	t.Helper()
	res, err := s.backend.ListBucket(s.Bucket, &gofakes3.Prefix{Prefix: prefix, HasPrefix: prefix != ""}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatalf("list %s: %v", s.Bucket, err)
	}
	keys := make([]string, 0, len(res.Contents))
	for _, c := range res.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// Secret is the secret access key the server's clients use, for canary checks.
func (s *S3) Secret() string { return s3Credentials["AWS_SECRET_ACCESS_KEY"] }
