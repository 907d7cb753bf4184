package console

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/assert"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/data/datafake"
	"github.com/matih/ops/tui/internal/present"
)

// fleetFake is a fleet during a rollout of worker-pipeline: build-b current and
// ramping is off, build-a draining with two runs pinned, and worker-notify's only
// worker silent for 7 minutes while a delivery waits on its queue.
func fleetFake(ramping bool) *datafake.Fake {
	fk := demoFake()
	live := func(id, build string) data.Poller {
		return data.Poller{Identity: id, LastAccessTime: fixedNow.Add(-20 * time.Second), Deployment: "matih-worker-pipeline", BuildID: build}
	}
	pipelinePollers := []data.Poller{live("4121@node-a", "build-a"), live("977@node-b", "build-b")}
	fk.QueueList = []data.Queue{
		{Name: contract.PipelineQueue, WorkflowPollers: pipelinePollers, ActivityPollers: pipelinePollers, Running: 3,
			WorkflowBacklog: &data.Backlog{}, ActivityBacklog: &data.Backlog{Count: 4, Age: 90 * time.Second, AddRate: 1.5, DispatchRate: 1.2}},
		{Name: contract.InfraQueue, WorkflowPollers: []data.Poller{}, ActivityPollers: []data.Poller{}, Running: 0,
			WorkflowBacklog: &data.Backlog{}, ActivityBacklog: &data.Backlog{}},
		{Name: contract.NotifyQueue, Running: 1,
			WorkflowPollers: []data.Poller{{Identity: "311@node-c", LastAccessTime: fixedNow.Add(-7 * time.Minute), Deployment: "matih-worker-notify", BuildID: "build-a"}},
			ActivityPollers: []data.Poller{}, WorkflowBacklog: &data.Backlog{Count: 1, Age: 6 * time.Minute}, ActivityBacklog: &data.Backlog{}},
	}
	d := data.Deployment{Name: "matih-worker-pipeline", Current: "build-b", Versions: []data.DeploymentVersion{
		{BuildID: "build-a", Drainage: "draining", PinnedOpen: 2}, {BuildID: "build-b", PinnedOpen: 1}}}
	if ramping {
		d.Current, d.Ramping, d.RampPercent = "build-a", "build-b", 25
		d.Versions[0].Drainage = ""
	}
	fk.DeploymentList = []data.Deployment{d,
		{Name: "matih-worker-notify", Current: "build-a", Versions: []data.DeploymentVersion{{BuildID: "build-a", PinnedOpen: 1}}}}
	return fk
}

func TestGoldenFleetWithAQueueNobodyPolls(t *testing.T) {
	tm := goldenModel(t, fleetFake(false), false, false)
	toList(t, tm)
	tm.Send(keyRunes("F"))
	waitOut(t, tm, "DEPLOYMENTS")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestGoldenFleetRampingNoColor(t *testing.T) {
	tm := goldenModel(t, fleetFake(true), true, false)
	toList(t, tm)
	tm.Send(keyRunes("F"))
	waitOut(t, tm, "ramping build-b at 25%")
	golden.RequireEqual(t, finalView(t, tm))
}

func TestFleetRedLinesAreTheQueuesAndVersionsNobodyTakes(t *testing.T) {
	fk := fleetFake(false)
	f := data.Fleet{Queues: fk.QueueList, Deployments: fk.DeploymentList}
	var alarms []string
	for _, l := range presentFleet(f) {
		if l.Alarm {
			alarms = append(alarms, l.Text)
		}
	}
	if assert.Len(t, alarms, 2) {
		assert.Contains(t, alarms[0], contract.NotifyQueue)
		assert.Contains(t, alarms[0], "NO LIVE WORKER (last poll 7m ago): 1 run cannot move")
		assert.True(t, strings.HasPrefix(alarms[1], "!"), "the notify version with a pinned run and no live worker")
		assert.Contains(t, alarms[1], "build-a")
	}
}

func presentFleet(f data.Fleet) []present.FleetLine { return present.Fleet(f, fixedNow) }
