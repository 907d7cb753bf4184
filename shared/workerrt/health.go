package workerrt

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// health tracks readiness: ready once the server lists this process among the task
// queue's pollers, not ready again while draining.
type health struct {
	ready    atomic.Bool
	draining atomic.Bool
	waiting  atomic.Pointer[string] // why the worker is not polling yet, while it waits
	version  string                 // "deployment=… build_id=…", shown by /readyz
}

func newHealth(v worker.WorkerDeploymentVersion) *health {
	return &health{version: fmt.Sprintf("deployment=%s build_id=%s", v.DeploymentName, v.BuildID)}
}

// buildInfo is a constant 1 labelled with the process's deployment version, so
// dashboards can count pods per build during a rollout.
func buildInfo(v worker.WorkerDeploymentVersion) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "matih_worker_build_info",
		Help:        "1 for each worker process, labelled with the Worker Deployment version it polls as.",
		ConstLabels: prometheus.Labels{"deployment": v.DeploymentName, "build_id": v.BuildID}})
	g.Set(1)
	return g
}

func (h *health) setDraining() { h.draining.Store(true); h.ready.Store(false) }

func (h *health) mux(reg *prometheus.Registry) *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	m.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case h.draining.Load():
			http.Error(w, "draining "+h.version, http.StatusServiceUnavailable)
		case h.ready.Load():
			fmt.Fprintln(w, "ready "+h.version)
		case h.waiting.Load() != nil:
			http.Error(w, "waiting: "+*h.waiting.Load()+" "+h.version, http.StatusServiceUnavailable)
		default:
			http.Error(w, "not polling yet "+h.version, http.StatusServiceUnavailable)
		}
	})
	m.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return m
}

// watchPollers marks the process ready when the server sees it polling.
func (h *health) watchPollers(ctx context.Context, c client.Client, queue, identity string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if h.polling(ctx, c, queue, identity) {
			if !h.draining.Load() {
				h.ready.Store(true)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *health) polling(ctx context.Context, c client.Client, queue, identity string) bool {
	for _, tqType := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		resp, err := c.DescribeTaskQueue(cctx, queue, tqType)
		cancel()
		if err != nil {
			continue
		}
		for _, p := range resp.GetPollers() {
			if p.GetIdentity() == identity {
				return true
			}
		}
	}
	return false
}

// setWaiting says why the worker is not polling yet (nil: it no longer waits).
func (h *health) setWaiting(why *string) { h.waiting.Store(why) }
