package integration

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/shared/testkit"
)

// The server a chaos run runs on, and its own faults: the CLI's dev server on a
// file, killed and restarted once; or, with MATIH_CHAOS_CLUSTER set
// (scripts/chaos.sh --cluster), the production shape (scripts/temporal-server.sh
// cluster: separate frontend, history and matching processes behind haproxy,
// TLS and authorization, on the PostgreSQL the run also stops), whose hosts die
// one at a time.

// fault is one fault of the schedule: at this point of each minute, once or every
// minute.
type fault struct {
	at   time.Duration
	name string
	do   func()
	once bool
}

// chaosServer is the run's Temporal server and its faults; nodeErrors collects
// what failed while killing or starting a cluster node.
type chaosServer struct {
	*testkit.DevServer
	faults     []fault
	nodeErrors *goroutineTB
	cluster    bool
}

func startChaosServer(t *testing.T) *chaosServer {
	if os.Getenv("MATIH_CHAOS_CLUSTER") == "" {
		d := testkit.StartDurableDevServer(t)
		return &chaosServer{DevServer: &d.DevServer, nodeErrors: &goroutineTB{TB: t}, faults: []fault{
			{at: 45 * time.Second, name: "Temporal server killed and restarted after 3 s", do: func() { d.Restart(3 * time.Second) }, once: true},
		}}
	}
	cl := testkit.StartPostgresCluster(t)
	s := &chaosServer{DevServer: cl.DevServer, nodeErrors: &goroutineTB{TB: t}, cluster: true}
	// killFor SIGKILLs a node and starts it again after d, without holding up the
	// schedule. A node exits at start while PostgreSQL is down; it is started again
	// every 2 s until it stays up, as its supervisor (systemd, Kubernetes) would.
	killFor := func(node string, d time.Duration) func() {
		return func() {
			go func() { // a failed kill ends only this goroutine; the report names it
				cl.Kill(s.nodeErrors, node)
				time.Sleep(d)
				var err error
				for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
					if err = cl.TryStart(node); err == nil {
						return
					}
				}
				s.nodeErrors.Errorf("%s never came back: %v", node, err)
			}()
		}
	}
	s.faults = []fault{
		{at: 22 * time.Second, name: "frontend fe1 SIGKILLed under the streams and long polls, back after 10 s", do: killFor(testkit.NodeFrontend1, 10*time.Second), once: true},
		{at: 38 * time.Second, name: "history host hist1 SIGKILLed, back after 5 s", do: killFor(testkit.NodeHistory1, 5*time.Second), once: true},
		{at: 48 * time.Second, name: "history host hist2 SIGKILLed, back after 5 s", do: killFor(testkit.NodeHistory2, 5*time.Second), once: true},
		{at: 56 * time.Second, name: "matching host restarted", do: killFor(testkit.NodeMatching, time.Second), once: true},
	}
	return s
}

// env is what a process needs to reach the server: nothing for the dev server;
// for the cluster, a client certificate and a token of the role.
func (s *chaosServer) env(t *testing.T, role, cert string) []string {
	return s.ClientEnv(t, role, cert)
}

// report says whether every node kill and start went as meant.
func (s *chaosServer) report(r *chaosReport) {
	if !s.cluster {
		return
	}
	errs := s.nodeErrors.errors()
	r.add("cluster nodes killed and started again", len(errs) == 0, fmt.Sprintf("%d errors %s", len(errs), strings.Join(errs, "; ")))
}
