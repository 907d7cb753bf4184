package testkit

import (
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
	sdklog "go.temporal.io/sdk/log"

	"github.com/matih/ops/shared/contract"
)

var pgServerSeq atomic.Int64

// StartPostgresServer starts the production-like Temporal server of
// scripts/temporal-server.sh for the test: the real server binary loading
// deploy/temporal/production.yaml, persistence and visibility in two PostgreSQL
// databases of its own, every port free, the matih namespace and search attributes.
// When the test ends the server is stopped and both databases are dropped.
//
// The test is skipped only when MATIH_TEST_PG_DSN is unset and PostgreSQL cannot be
// started here; with MATIH_TEST_PG_DSN set (scripts/test.sh and CI set it) every
// failure fails the test. The first run may install the server and its SQL tool into
// bin/ (a few minutes).
func StartPostgresServer(t testing.TB) *DevServer {
	t.Helper()
	admin := pgServerAdminDSN(t)
	// Unique across the test binaries `go test` runs in parallel, and across runs
	// that a killed test left databases behind for.
	name := fmt.Sprintf("t%d_%s_%d", os.Getpid(), strconv.FormatInt(time.Now().UnixNano(), 36), pgServerSeq.Add(1))
	db, visibilityDB := "temporal_"+name, "temporal_"+name+"_visibility"
	ports := freePorts(t, 9)
	addr := "127.0.0.1:" + ports[0]
	env := []string{
		"MATIH_TEMPORAL_NAME=" + name,
		"MATIH_TEMPORAL_DIR=" + t.TempDir(),
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
	}
	script := filepath.Join(RepoRoot(t), "scripts", "temporal-server.sh")
	run := func(cmd string) ([]byte, error) {
		c := exec.Command(script, cmd)
		c.Env = append(os.Environ(), env...)
		return c.CombinedOutput()
	}
	// Registered before `up`, so a server that started but never became ready is
	// stopped too.
	t.Cleanup(func() {
		if out, err := run("down"); err != nil {
			t.Errorf("testkit: scripts/temporal-server.sh down: %v\n%s", err, out)
		}
		for _, name := range []string{db, visibilityDB} {
			if err := adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("testkit: drop the server's database %s: %v", name, err)
			}
		}
	})
	start := time.Now()
	if out, err := run("up"); err != nil {
		t.Fatalf("testkit: scripts/temporal-server.sh up: %v\n%s", err, out)
	}
	t.Logf("testkit: Temporal server on PostgreSQL (%s, %s) ready on %s in %s", db, visibilityDB, addr, time.Since(start).Round(time.Millisecond))

	c, err := client.Dial(client.Options{
		HostPort:      addr,
		Namespace:     contract.DefaultNamespace,
		DataConverter: dataConverter(t),
		Logger:        sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		t.Fatalf("testkit: dial the Temporal server on %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	return &DevServer{HostPort: addr, Namespace: contract.DefaultNamespace, Client: c}
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
