// Command worker-notify runs the notification activities on the notify-workers queue:
// Slack, email and PagerDuty routed by severity, and a local outbox file always.
package main

import (
	"context"
	"flag"
	"log/slog"

	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/workerrt"
	"github.com/matih/ops/worker-notify/internal/config"
	"github.com/matih/ops/worker-notify/internal/delivery"
)

func main() {
	workerrt.Main(spec())
}

// spec wires the notification config into the shared worker runtime.
func spec() workerrt.Spec {
	var cfg config.Config
	return workerrt.Spec{
		Name:            "worker-notify",
		TaskQueue:       contract.NotifyQueue,
		DefaultHTTPAddr: "127.0.0.1:9103",
		Flags:           func(fs *flag.FlagSet) { cfg.RegisterFlags(fs) },
		// A bad routing file or secret is reported before connecting to Temporal.
		Validate: func() error {
			_, err := cfg.Build(slog.New(slog.DiscardHandler))
			return err
		},
		Workflows: func(reg worker.WorkflowRegistry) { delivery.Register(reg) },
		Setup: func(_ context.Context, env workerrt.Env, reg worker.Registry) (func(), error) {
			acts, err := cfg.Build(env.Logger)
			if err != nil {
				return nil, err
			}
			acts.Register(reg)
			return nil, nil
		},
	}
}
