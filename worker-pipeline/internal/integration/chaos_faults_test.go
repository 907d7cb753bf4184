package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

// fleet is the processes of one worker in a chaos run, each started in a working
// directory of its own, as on separate machines.
type fleet struct {
	t     *testing.T
	c     client.Client
	name  string
	bin   string
	env   []string
	args  []string
	procs []*testkit.Process
	addrs []string // each process's HTTP address (health and metrics)
	kills int
	// idle is the largest resident memory of a first process just after it was
	// ready, before the load; peak the largest high-water mark any process
	// reached, read before it was killed and at the end.
	idle, peak int64
}

// newFleet builds the worker command pkg; its processes run with env and args.
func newFleet(t *testing.T, c client.Client, pkg string, env []string, args ...string) *fleet {
	return &fleet{t: t, c: c, name: pkg[strings.LastIndex(pkg, "/")+1:], bin: testkit.Build(t, pkg), env: env, args: args}
}

func (f *fleet) start(n int) {
	for i := 0; i < n; i++ {
		cwd, addr := f.t.TempDir(), testkit.FreeAddr(f.t)
		logs := cwd
		if dir := os.Getenv("MATIH_CHAOS_LOGS"); dir != "" {
			logs = dir // kept after the run, for what the table cannot say
		}
		p := testkit.StartIn(f.t, cwd, f.bin, append([]string{"--http-addr", addr}, f.args...), f.env, logs)
		p.WaitReady(f.t, addr, 60*time.Second)
		testkit.PromoteReady(f.t, f.c, addr)
		f.procs, f.addrs = append(f.procs, p), append(f.addrs, addr)
		if now, _, err := testkit.ReadResident(p.Pid()); err == nil && f.kills == 0 {
			f.idle = max(f.idle, now)
		}
	}
}

// notePeaks takes the high-water mark of every process still running.
func (f *fleet) notePeaks() {
	for _, p := range f.procs {
		f.notePeak(p)
	}
}

func (f *fleet) notePeak(p *testkit.Process) {
	if _, peak, err := testkit.ReadResident(p.Pid()); err == nil {
		f.peak = max(f.peak, peak)
	}
}

// killOne sends SIGKILL to a random worker and starts a replacement after pause.
func (f *fleet) killOne(pause time.Duration) int {
	k := rand.IntN(len(f.procs))
	victim := f.procs[k]
	pid := victim.Pid()
	f.notePeak(victim)
	victim.Kill()
	f.kills++
	f.procs, f.addrs = append(f.procs[:k], f.procs[k+1:]...), append(f.addrs[:k], f.addrs[k+1:]...)
	time.Sleep(pause)
	f.start(1)
	return pid
}

// chaosRig is what a chaos run's faults act on.
type chaosRig struct {
	srv                     *chaosServer
	pipeline, notify, infra *fleet
	channels                *notifyChannels
	airflow, s3             *testkit.FaultProxy
	pg                      *pgOutage
}

// runFaults injects faults while the load runs, for size.faultsFor: a worker
// killed every size.killEvery (every third kill in the notify fleet), an infra
// worker killed twice a minute while migrations run, Airflow answering 500 and then
// 429, the object store refusing every request, Slack and PagerDuty refusing a few
// requests, and once each a restart of the Temporal server and PostgreSQL stopped
// for 10 s. It returns what it did, in order.
func runFaults(t *testing.T, size chaosSize, rig *chaosRig) []string {
	t.Helper()
	af, s3 := rig.airflow, rig.s3
	schedule := []fault{
		{at: 5 * time.Second, name: "Airflow answers 500 for 8 s", do: func() { af.Fail(http.StatusInternalServerError, 8*time.Second) }},
		{at: 20 * time.Second, name: "object store refuses requests for 10 s", do: func() { s3.Fail(http.StatusServiceUnavailable, 10*time.Second) }},
		{at: 34 * time.Second, name: "Airflow answers 429 for 8 s", do: func() { af.Fail(http.StatusTooManyRequests, 8*time.Second) }},
		{at: 12 * time.Second, name: "Slack answers 429 and PagerDuty 500 to the next 5 requests", do: rig.channels.refuseSome},
		{at: 17 * time.Second, name: "a worker-infra killed", do: func() { rig.infra.killOne(2 * time.Second) }},
		{at: 26 * time.Second, name: "PostgreSQL stopped for 10 s", do: func() { rig.pg.stopFor(10 * time.Second) }, once: true},
		{at: 31 * time.Second, name: "a worker-infra killed", do: func() { rig.infra.killOne(2 * time.Second) }},
	}
	schedule = append(schedule, rig.srv.faults...) // the server's own: a restart, or cluster nodes dying
	var log []string
	began := time.Now()
	nextKill := began.Add(size.killEvery)
	fired, kills := map[int]int{}, 0
	for time.Since(began) < size.faultsFor {
		minute, into := int(time.Since(began)/time.Minute), time.Since(began)%time.Minute
		for i, fl := range schedule {
			if into >= fl.at && fired[i] <= minute && !(fl.once && fired[i] > 0) {
				fired[i] = minute + 1
				fl.do()
				log = append(log, fmt.Sprintf("%s at %s", fl.name, time.Since(began).Round(time.Second)))
			}
		}
		if time.Now().After(nextKill) {
			victims := rig.pipeline
			if kills++; kills%3 == 0 {
				victims = rig.notify
			}
			pid := victims.killOne(2 * time.Second)
			log = append(log, fmt.Sprintf("%s %d killed at %s", victims.name, pid, time.Since(began).Round(time.Second)))
			nextKill = time.Now().Add(size.killEvery)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("faults: Airflow refused %d requests, the object store %d", af.Refused(), s3.Refused())
	return log
}

// decide answers every low-quality run once it waits: malformed signals first,
// which must change nothing, then its decision, twice; for "race" a cancel is sent
// at the same moment as the approval; for "slack" ana approves from the alert
// while bob rejects from the console. The channel closes when all are answered.
func decide(c client.Client, pipes []*chaosPipeline, slack *chaosSlack) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range pipes {
		if !p.lowQuality {
			continue
		}
		wg.Add(1)
		go func(p *chaosPipeline) {
			defer wg.Done()
			if !waitAwaiting(c, p.id, 10*time.Minute) {
				return
			}
			ctx := context.Background()
			_ = c.SignalWorkflow(ctx, p.id, "", contract.SignalApproval, "yes please")
			_ = c.SignalWorkflow(ctx, p.id, "", contract.SignalApproval, map[string]any{"approved": "yes", "approver": 7})
			if p.decision == "slack" {
				slack.race(c, p.id)
				return
			}
			sig := contract.ApprovalSignal{Approved: p.decision != "reject", Approver: "oncall", Reason: "chaos " + p.decision}
			if p.decision == "race" {
				go func() { _ = c.CancelWorkflow(ctx, p.id, "") }()
			}
			for i := 0; i < 2; i++ { // the second is a duplicate: it must change nothing
				sendUntilAnswered(c, p.id, sig)
			}
		}(p)
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

// waitAwaiting polls the status query, through worker kills and a server restart,
// until the run waits for approval; false if it closed or never did.
func waitAwaiting(c client.Client, id string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, err := c.QueryWorkflow(ctx, id, "", contract.QueryStatus)
		cancel()
		var doc status.Document
		if err == nil && v.Get(&doc) == nil {
			if doc.Phase == contract.PhaseAwaitingApproval {
				return true
			}
			if doc.Phase == contract.PhaseCompleted || doc.Phase == contract.PhaseCancelled || doc.Phase == contract.PhaseFailed {
				return false
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	return false
}

// sendUntilAnswered sends the approval update until the workflow answers it (with
// an acknowledgement or a refusal) or the run is closed.
func sendUntilAnswered(c client.Client, id string, sig contract.ApprovalSignal) {
	for i := 0; i < 200; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		h, err := c.UpdateWorkflow(ctx, updateOpts(id, sig))
		if err == nil {
			err = h.Get(ctx, nil)
		}
		cancel()
		if err == nil || isWorkflowAnswer(err) || closedStatus(c, id) != runningStatus {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
}
