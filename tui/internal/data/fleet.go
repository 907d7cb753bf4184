package data

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// Deployment is a worker deployment as the fleet view shows it.
type Deployment struct {
	Name        string              `json:"name"`
	Current     string              `json:"currentBuildId,omitempty"`
	Ramping     string              `json:"rampingBuildId,omitempty"`
	RampPercent float32             `json:"rampPercent,omitempty"`
	Versions    []DeploymentVersion `json:"versions"`
}

// DeploymentVersion is one build of a deployment.
type DeploymentVersion struct {
	BuildID string `json:"buildId"`
	// Drainage is draining or drained for a version no longer current or ramping
	// once the server has checked it; empty otherwise.
	Drainage string `json:"drainage,omitempty"`
	// PinnedOpen counts the running workflows pinned to it, through visibility.
	PinnedOpen int64 `json:"pinnedOpen"`
}

// versionAttr is the system search attribute of a run's deployment version.
const versionAttr = "TemporalWorkerDeploymentVersion"

// VersionQuery selects the running workflows pinned to a deployment's build.
func VersionQuery(deployment, buildID string) string {
	return fmt.Sprintf("ExecutionStatus = 'Running' AND %s = '%s:%s'", versionAttr, quoteValue(deployment), quoteValue(buildID))
}

func quoteValue(s string) string { return strings.ReplaceAll(s, "'", "''") }

// Deployments lists the worker deployments with their versions.
func (t *Temporal) Deployments(ctx context.Context) ([]Deployment, error) {
	dc := t.Client.WorkerDeploymentClient()
	it, err := dc.List(ctx, client.WorkerDeploymentListOptions{})
	if err != nil {
		return nil, Classify(err)
	}
	var out []Deployment
	for it.HasNext() {
		entry, err := it.Next()
		if err != nil {
			return nil, Classify(err)
		}
		desc, err := dc.GetHandle(entry.Name).Describe(ctx, client.WorkerDeploymentDescribeOptions{})
		if err != nil {
			return nil, Classify(err)
		}
		info := desc.Info
		d := Deployment{Name: info.Name, Versions: []DeploymentVersion{}}
		if v := info.RoutingConfig.CurrentVersion; v != nil {
			d.Current = v.BuildID
		}
		if v := info.RoutingConfig.RampingVersion; v != nil {
			d.Ramping, d.RampPercent = v.BuildID, info.RoutingConfig.RampingVersionPercentage
		}
		for _, s := range info.VersionSummaries {
			v := DeploymentVersion{BuildID: s.Version.BuildID, Drainage: drainage(s.DrainageStatus)}
			if v.PinnedOpen, err = t.count(ctx, VersionQuery(info.Name, v.BuildID)); err != nil {
				return nil, err
			}
			d.Versions = append(d.Versions, v)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func drainage(s client.WorkerDeploymentVersionDrainageStatus) string {
	switch s {
	case client.WorkerDeploymentVersionDrainageStatusDraining:
		return "draining"
	case client.WorkerDeploymentVersionDrainageStatusDrained:
		return "drained"
	}
	return ""
}

// count counts workflows of any type (deliveries included) matching query.
func (t *Temporal) count(ctx context.Context, query string) (int64, error) {
	resp, err := t.Client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: t.Namespace, Query: query})
	if err != nil {
		return 0, Classify(err)
	}
	return resp.GetCount(), nil
}

// Fleet is what the fleet view and `matih queues -o json` show: every queue with
// pollers or running workflows, and every worker deployment.
type Fleet struct {
	Queues      []Queue      `json:"queues"`
	Deployments []Deployment `json:"deployments"`
}

// LoadFleet reads the fleet: our queues and any queue running workflows wait on
// (one no worker polls is where runs wait forever), and the deployments.
func LoadFleet(ctx context.Context, src Source) (Fleet, error) {
	also, err := RunningQueues(ctx, src)
	if err != nil {
		return Fleet{}, err
	}
	qs, err := src.Queues(ctx, also...)
	if err != nil {
		return Fleet{}, err
	}
	ds, err := src.Deployments(ctx)
	if err != nil {
		return Fleet{}, err
	}
	if ds == nil {
		ds = []Deployment{}
	}
	return Fleet{Queues: qs, Deployments: ds}, nil
}
