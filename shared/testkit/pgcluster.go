package testkit

import (
	"fmt"
	"testing"
)

// Cluster is the production server's shape for a test: each Temporal service its
// own process (two frontends, two history hosts, matching, the internal frontend
// and worker) behind haproxy on HostPort, secure, on PostgreSQL
// (scripts/temporal-server.sh cluster).
type Cluster struct {
	*DevServer
	run serverScript
}

// Cluster nodes a test may kill and start again.
const (
	NodeFrontend1 = "fe1"
	NodeFrontend2 = "fe2"
	NodeHistory1  = "hist1"
	NodeHistory2  = "hist2"
	NodeMatching  = "match"
)

// StartPostgresCluster starts the cluster for the test and stops it, dropping its
// databases, when the test ends.
func StartPostgresCluster(t testing.TB) *Cluster {
	t.Helper()
	srv, run := startPostgres(t, true)
	return &Cluster{DevServer: srv, run: run}
}

// Kill SIGKILLs one node: a crash, with no goodbye to the membership ring.
func (c *Cluster) Kill(t testing.TB, node string) {
	t.Helper()
	if out, err := c.run("cluster", "kill", node); err != nil {
		t.Fatalf("testkit: cluster kill %s: %v\n%s", node, err, out)
	}
}

// Start starts a node again.
func (c *Cluster) Start(t testing.TB, node string) {
	t.Helper()
	if err := c.TryStart(node); err != nil {
		t.Fatalf("testkit: %v", err)
	}
}

// TryStart starts a node again and says why it did not come up: a node exits at
// start while its database is down, as a supervisor would see it do.
func (c *Cluster) TryStart(node string) error {
	if out, err := c.run("cluster", "start", node); err != nil {
		return fmt.Errorf("cluster start %s: %v\n%s", node, err, out)
	}
	return nil
}
