package testkit

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/matih/ops/shared/contract"
)

var pgServerSeq atomic.Int64

// StartPostgresServer starts the production-like Temporal server of
// scripts/temporal-server.sh for the test: the real server binary loading
// deploy/temporal/production.yaml, persistence and visibility in two PostgreSQL
// databases of its own, every port free, the matih namespace and search attributes.
// It is secure, as production is: TLS with client certificates, and a token's role
// checked on every call. Its Client acts as the operator (role writer); ClientEnv
// gives a process its own certificate and role. When the test ends the server is
// stopped and both databases are dropped.
//
// The test is skipped only when MATIH_TEST_PG_DSN is unset and PostgreSQL cannot be
// started here; with MATIH_TEST_PG_DSN set (scripts/test.sh and CI set it) every
// failure fails the test. The first run may install the server and its SQL tool into
// bin/ (a few minutes).
func StartPostgresServer(t testing.TB) *DevServer {
	t.Helper()
	srv, _ := startPostgres(t, false)
	return srv
}

// serverScript runs scripts/temporal-server.sh with one instance's settings.
type serverScript func(args ...string) ([]byte, error)

// startPostgres starts scripts/temporal-server.sh's server (up) or cluster
// (cluster up) on free ports and databases of its own.
func startPostgres(t testing.TB, cluster bool) (*DevServer, serverScript) {
	t.Helper()
	admin := pgServerAdminDSN(t)
	// Unique across the test binaries `go test` runs in parallel, and across runs
	// that a killed test left databases behind for.
	name := fmt.Sprintf("t%d_%s_%d", os.Getpid(), strconv.FormatInt(time.Now().UnixNano(), 36), pgServerSeq.Add(1))
	db, visibilityDB := "temporal_"+name, "temporal_"+name+"_visibility"
	ports := freePorts(t, 12+21)
	addr := "127.0.0.1:" + ports[0]
	state := t.TempDir()
	env := []string{
		"MATIH_TEMPORAL_NAME=" + name,
		"MATIH_TEMPORAL_DIR=" + state,
		"MATIH_AUTH_BIN=" + Build(t, matihPkg),
		"MATIH_TEMPORAL_PG_DSN=" + admin,
		// Should the test binary die before its cleanup (a timeout), the server
		// stops with it; its databases stay, under names no later run reuses.
		"MATIH_TEMPORAL_OWNER_PID=" + strconv.Itoa(os.Getpid()),
		"MATIH_TEMPORAL_DB=" + db,
		"MATIH_TEMPORAL_VISIBILITY_DB=" + visibilityDB,
		"MATIH_TEMPORAL_PORT=" + ports[0],
		"MATIH_TEMPORAL_HISTORY_PORT=" + ports[1],
		"MATIH_TEMPORAL_MATCHING_PORT=" + ports[2],
		"MATIH_TEMPORAL_WORKER_PORT=" + ports[3],
		"MATIH_TEMPORAL_FRONTEND_MEMBERSHIP_PORT=" + ports[4],
		"MATIH_TEMPORAL_HISTORY_MEMBERSHIP_PORT=" + ports[5],
		"MATIH_TEMPORAL_MATCHING_MEMBERSHIP_PORT=" + ports[6],
		"MATIH_TEMPORAL_WORKER_MEMBERSHIP_PORT=" + ports[7],
		"MATIH_TEMPORAL_METRICS_PORT=" + ports[8],
		"MATIH_TEMPORAL_INTERNAL_FRONTEND_PORT=" + ports[9],
		"MATIH_TEMPORAL_INTERNAL_FRONTEND_MEMBERSHIP_PORT=" + ports[10],
		"MATIH_TEMPORAL_JWKS_PORT=" + ports[11],
		"MATIH_TEMPORAL_CLUSTER_PORTS=" + strings.Join(ports[12:], ","),
	}
	script := filepath.Join(RepoRoot(t), "scripts", "temporal-server.sh")
	run := func(args ...string) ([]byte, error) {
		c := exec.Command(script, args...)
		c.Env = append(os.Environ(), env...)
		return c.CombinedOutput()
	}
	up, down := []string{"up"}, []string{"down"}
	if cluster {
		up, down = []string{"cluster", "up"}, []string{"cluster", "down"}
	}
	// Registered before `up`, so a server that started but never became ready is
	// stopped too.
	t.Cleanup(func() {
		if out, err := run(down...); err != nil {
			t.Errorf("testkit: scripts/temporal-server.sh %s: %v\n%s", strings.Join(down, " "), err, out)
		}
		for _, name := range []string{db, visibilityDB} {
			if err := adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("testkit: drop the server's database %s: %v", name, err)
			}
		}
	})
	start := time.Now()
	if out, err := run(up...); err != nil {
		t.Fatalf("testkit: scripts/temporal-server.sh %s: %v\n%s", strings.Join(up, " "), err, out)
	}
	t.Logf("testkit: Temporal %s on PostgreSQL (%s, %s) ready on %s in %s", map[bool]string{false: "server", true: "cluster"}[cluster],
		db, visibilityDB, addr, time.Since(start).Round(time.Millisecond))

	srv := &DevServer{HostPort: addr, Namespace: contract.DefaultNamespace, Credentials: state}
	srv.Client = srv.Dial(t, "writer", "operator")
	return srv, run
}

// pgServerAdminDSN is MATIH_TEST_PG_DSN, or the DSN of the local cluster that
// scripts/postgres.sh starts. Only in the second case may a failure skip the test.
func pgServerAdminDSN(t testing.TB) string {
	t.Helper()
	if v := os.Getenv("MATIH_TEST_PG_DSN"); v != "" {
		return v
	}
	cmd := exec.Command(filepath.Join(RepoRoot(t), "scripts", "postgres.sh"), "dsn")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("testkit: PostgreSQL could not be started here, and MATIH_TEST_PG_DSN is unset: skipping the Temporal server on PostgreSQL (scripts/postgres.sh dsn: %v %s)", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out))
}

// adminExec runs one statement as the admin role, its password from the DSN passed
// to psql through PGPASSWORD, never its command line.
func adminExec(dsn, sql string) error {
	user, pass, hostport := parseAdmin(dsn)
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, "5432"
	}
	cmd := exec.Command("psql", "-X", "-v", "ON_ERROR_STOP=1", "-q", "-h", host, "-p", port, "-U", user, "-d", "postgres", "-c", sql)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+pass)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// freePorts returns n distinct loopback ports nobody listens on right now, all below
// 32768: the server records its membership ports in a PostgreSQL smallint column,
// which the kernel's ephemeral ports (32768 and up) overflow. All are held open
// together, so none is handed out twice.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var ports []string
	for p := 20000 + rand.IntN(10000); len(ports) < n && p < 32768; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		defer l.Close()
		ports = append(ports, strconv.Itoa(p))
	}
	if len(ports) < n {
		t.Fatalf("testkit: found only %d free ports below 32768", len(ports))
	}
	return ports
}

// matihPkg holds `matih auth`, which issues the secure server's tokens.
const matihPkg = "github.com/matih/ops/tui/cmd/matih"

// ClientEnv returns the TEMPORAL_* variables with which a process reaches the
// server as role (worker, reader, writer or admin), presenting the client
// certificate cert (worker-pipeline, worker-infra, worker-notify, console, serve or
// operator). It is empty for the plain dev server.
func (s *DevServer) ClientEnv(t testing.TB, role, cert string) []string {
	t.Helper()
	if s.Credentials == "" {
		return nil
	}
	pki := filepath.Join(s.Credentials, "pki")
	return []string{
		"TEMPORAL_TLS=true",
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH=" + filepath.Join(pki, "ca.pem"),
		"TEMPORAL_TLS_SERVER_NAME=temporal-frontend",
		"TEMPORAL_TLS_CLIENT_CERT_PATH=" + filepath.Join(pki, cert+".pem"),
		"TEMPORAL_TLS_CLIENT_KEY_PATH=" + filepath.Join(pki, cert+".key"),
		"TEMPORAL_API_KEY=" + s.Token(t, role),
	}
}

// Token is the secure server's token for role.
func (s *DevServer) Token(t testing.TB, role string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Credentials, "credentials", role+".token"))
	if err != nil {
		t.Fatalf("testkit: the %s token: %v", role, err)
	}
	return strings.TrimSpace(string(b))
}

// TLS is the client TLS configuration presenting cert; nil for the dev server.
func (s *DevServer) TLS(t testing.TB, cert string) *tls.Config {
	t.Helper()
	if s.Credentials == "" {
		return nil
	}
	pki := filepath.Join(s.Credentials, "pki")
	pair, err := tls.LoadX509KeyPair(filepath.Join(pki, cert+".pem"), filepath.Join(pki, cert+".key"))
	if err != nil {
		t.Fatalf("testkit: client certificate %s: %v", cert, err)
	}
	caPEM, err := os.ReadFile(filepath.Join(pki, "ca.pem"))
	if err != nil {
		t.Fatalf("testkit: the server's CA: %v", err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: roots, ServerName: "temporal-frontend", MinVersion: tls.VersionTLS12}
}

// Dial returns a client acting as role with the certificate cert (any values on
// the plain dev server), closed when the test ends.
func (s *DevServer) Dial(t testing.TB, role, cert string) client.Client {
	t.Helper()
	return s.DialWith(t, role, cert, dataConverter(t))
}

// DialWith is Dial with the given data converter (nil: the SDK's default).
func (s *DevServer) DialWith(t testing.TB, role, cert string, dc converter.DataConverter) client.Client {
	t.Helper()
	opts := client.Options{
		HostPort:      s.HostPort,
		Namespace:     s.Namespace,
		DataConverter: dc,
		Logger:        sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	}
	if s.Credentials != "" {
		opts.ConnectionOptions.TLS = s.TLS(t, cert)
		opts.Credentials = client.NewAPIKeyStaticCredentials(s.Token(t, role))
	}
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatalf("testkit: dial the Temporal server on %s as %s: %v", s.HostPort, role, err)
	}
	t.Cleanup(c.Close)
	return c
}
