// Package objstore opens the object storage every worker process shares: staging
// files and, through iceberg-go, the Iceberg warehouse. Locations are URLs: file://
// (a local or mounted folder), or s3:// (AWS S3 and S3-protocol servers). Credentials
// come from the AWS SDK's own chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
// a web identity, an instance role), never from workflow input.
//
// Every S3 client here (the staging bucket's, and iceberg-go's through
// IcebergContext) tries a request MaxAttempts times with jittered backoff and no
// retry quota, so an object store that refuses requests for some seconds (a
// restart, a throttling burst) is ridden out inside the call instead of failing
// the activity's attempt.
package objstore

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/iceberg-go/utils"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"

	"github.com/matih/ops/shared/datadir"
)

// Settings reach an S3-protocol server other than AWS's own endpoints.
type Settings struct {
	Endpoint string // e.g. http://minio.storage:9000; empty means AWS
	Region   string
	// MaxAttempts is how often one S3 request is tried; 0 means DefaultMaxAttempts.
	MaxAttempts int
}

// DefaultMaxAttempts rides out about half a minute of refused requests: the
// backoff doubles from up to 1 s to up to MaxBackoff, jittered.
const DefaultMaxAttempts = 10

// MaxBackoff caps the wait between two tries of one request.
const MaxBackoff = 8 * time.Second

// RegisterFlags binds --s3-endpoint, --s3-region and --s3-max-attempts (env
// MATIH_S3_ENDPOINT, MATIH_S3_REGION, MATIH_S3_MAX_ATTEMPTS).
func (s *Settings) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&s.Endpoint, "s3-endpoint", "", "S3-protocol endpoint for s3:// staging and warehouse, e.g. http://127.0.0.1:9000; empty means AWS (env MATIH_S3_ENDPOINT)")
	fs.StringVar(&s.Region, "s3-region", "", "S3 region; empty means AWS_REGION or us-east-1 (env MATIH_S3_REGION)")
	fs.IntVar(&s.MaxAttempts, "s3-max-attempts", DefaultMaxAttempts, "tries of one S3 request before the activity's attempt fails, 1-50; 0 means 10 (env MATIH_S3_MAX_ATTEMPTS)")
}

// Validate checks the endpoint is an http(s) URL and the attempts are in range.
func (s Settings) Validate() error {
	if s.MaxAttempts < 0 || s.MaxAttempts > 50 {
		return fmt.Errorf("--s3-max-attempts: expected 1 to 50 (0: the default, %d), got %d", DefaultMaxAttempts, s.MaxAttempts)
	}
	if s.Endpoint == "" {
		return nil
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--s3-endpoint: expected http(s)://host[:port], got %q", s.Endpoint)
	}
	return nil
}

func (s Settings) region() string {
	switch {
	case s.Region != "":
		return s.Region
	case os.Getenv("AWS_REGION") != "":
		return os.Getenv("AWS_REGION")
	}
	return "us-east-1"
}

func (s Settings) maxAttempts() int {
	if s.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return s.MaxAttempts
}

// AWSConfig is the SDK configuration every S3 client here starts from: the SDK's
// credential chain, the region, and the retryer described in the package comment.
func (s Settings) AWSConfig(ctx context.Context) (aws.Config, error) {
	attempts := s.maxAttempts()
	return config.LoadDefaultConfig(ctx, config.WithRegion(s.region()),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = MaxBackoff
				// The default quota stops retrying after a burst of failures
				// across the process, which is exactly when tries are needed.
				o.RateLimiter = ratelimit.None
			})
		}))
}

// IcebergContext returns ctx carrying AWSConfig, which iceberg-go's S3 IO uses
// instead of loading the SDK's defaults (3 tries, a retry quota). A worker sets
// it under every activity.
func (s Settings) IcebergContext(ctx context.Context) (context.Context, error) {
	cfg, err := s.AWSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3 settings: %w", err)
	}
	return utils.WithAwsConfig(ctx, &cfg), nil
}

// IcebergProps are the catalog properties that point iceberg-go's S3 IO at the
// same server (path-style addressing whenever an endpoint is set).
func (s Settings) IcebergProps() map[string]string {
	p := map[string]string{}
	if s.Endpoint != "" {
		p["s3.endpoint"] = s.Endpoint
	}
	if s.Endpoint != "" || s.Region != "" {
		p["s3.region"] = s.region()
	}
	return p
}

// Location is an opened store: a bucket narrowed to the location's prefix.
type Location struct {
	Bucket *blob.Bucket
	// URL is the location's canonical URL, ending in "/", without query settings.
	URL string
}

// Close releases the bucket.
func (l *Location) Close() error { return l.Bucket.Close() }

// Open opens a location: a file:// or s3:// URL, or a folder path (a relative one
// is inside the data directory).
func (s Settings) Open(ctx context.Context, field, raw string) (*Location, error) {
	if raw == "" {
		return nil, fmt.Errorf("%s: expected a file:// or s3:// URL or a folder, got nothing", field)
	}
	if !strings.Contains(raw, "://") {
		raw = "file://" + datadir.Resolve(raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", field, err)
	}
	switch u.Scheme {
	case "file":
		return openFile(field, u)
	case "s3":
		return s.openS3(ctx, field, u)
	case "gs":
		return nil, fmt.Errorf("%s: gs:// is not built in; reach Cloud Storage through its S3-compatible API (s3://bucket/prefix with --s3-endpoint https://storage.googleapis.com and HMAC keys)", field)
	}
	return nil, fmt.Errorf("%s: expected a file:// or s3:// URL, got scheme %q", field, u.Scheme)
}

func openFile(field string, u *url.URL) (*Location, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("%s: a file:// URL names a local folder (file:///path), got host %q", field, u.Host)
	}
	dir := filepath.Clean(u.Path)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("%s: a file:// URL needs an absolute path, got %q", field, u.Path)
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{CreateDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return &Location{Bucket: b, URL: "file://" + strings.TrimSuffix(dir, "/") + "/"}, nil
}

func (s Settings) openS3(ctx context.Context, field string, u *url.URL) (*Location, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("%s: an s3:// URL names a bucket (s3://bucket/prefix), got %q", field, u.String())
	}
	if u.RawQuery != "" {
		return nil, fmt.Errorf("%s: an s3:// URL takes no settings (?%s); use --s3-endpoint, --s3-region and the AWS credential chain", field, u.RawQuery)
	}
	cfg, err := s.AWSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if s.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.Endpoint)
			o.UsePathStyle = true
		}
	})
	b, err := s3blob.OpenBucket(ctx, client, u.Host, &s3blob.Options{RequestChecksumCalculation: cfg.RequestChecksumCalculation})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	prefix := strings.Trim(u.Path, "/")
	base := "s3://" + u.Host + "/"
	if prefix != "" {
		prefix += "/"
		b = blob.PrefixedBucket(b, prefix)
		base += prefix
	}
	return &Location{Bucket: b, URL: base}, nil
}
