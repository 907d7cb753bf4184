// Package testkit starts the real systems integration tests need: a Temporal dev
// server from the project's pinned CLI, and PostgreSQL databases.
package testkit

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"log/slog"

	"github.com/matih/ops/shared/contract"
)

// RepoRoot is the folder holding go.work, found from the test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testkit: no go.work above the test's folder")
		}
		dir = parent
	}
}

// TemporalCLI returns the pinned Temporal CLI that scripts/dev.sh and scripts/test.sh
// install into bin/ (or MATIH_TEMPORAL_CLI).
func TemporalCLI(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("MATIH_TEMPORAL_CLI"); p != "" {
		return p
	}
	p := filepath.Join(RepoRoot(t), "bin", "temporal")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testkit: Temporal CLI not found at %s; run scripts/test.sh (it installs it) or scripts/dev.sh install", p)
	}
	return p
}

// DevServer is a running Temporal dev server with the matih namespace and search
// attributes; it is stopped when the test ends.
type DevServer struct {
	HostPort  string
	Namespace string
	Client    client.Client
	// Credentials is the secure server's state folder (its pki/ and credentials/);
	// empty for the plain dev server.
	Credentials string
}

// StartDevServer starts a dev server on a free port.
func StartDevServer(t testing.TB) *DevServer {
	t.Helper()
	var args []string
	for name, typ := range contract.SearchAttributeTypes {
		args = append(args, "--search-attribute", name+"="+typ)
	}
	// Worker Versioning: report drained builds within seconds, as scripts/dev.sh does.
	args = append(args, "--dynamic-config-value", `matching.wv.VersionDrainageStatusRefreshInterval="2s"`,
		"--dynamic-config-value", `matching.wv.VersionDrainageStatusVisibilityGracePeriod="2s"`)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "temporal.log"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: TemporalCLI(t),
		ClientOptions: &client.Options{
			DataConverter: dataConverter(t),
			Namespace:     contract.DefaultNamespace,
			Logger:        sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		},
		LogLevel:  "error",
		ExtraArgs: args,
		Stdout:    logFile,
		Stderr:    logFile,
	})
	if err != nil {
		t.Fatalf("testkit: start Temporal dev server: %v", err)
	}
	t.Cleanup(func() {
		srv.Client().Close()
		_ = srv.Stop()
		_ = logFile.Close()
	})
	return &DevServer{HostPort: srv.FrontendHostPort(), Namespace: contract.DefaultNamespace, Client: srv.Client()}
}

// FreeAddr returns a loopback host:port nobody listens on right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
