// Command worker-infra runs schema migrations and Iceberg table maintenance on the
// infra-workers task queue.
package main

import (
	"context"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/workerrt"
	"github.com/matih/ops/worker-infra/internal/app"
)

func main() {
	var cfg app.Config
	workerrt.Main(workerrt.Spec{
		Name:            "worker-infra",
		TaskQueue:       contract.InfraQueue,
		DefaultHTTPAddr: "127.0.0.1:9102",
		Flags:           cfg.Flags,
		Validate:        cfg.Validate,
		Workflows:       app.Workflows,
		Setup:           cfg.Setup,
		// iceberg-go's S3 IO takes its retries from the activity's context.
		ActivityContext: func(ctx context.Context) (context.Context, error) { return cfg.S3.IcebergContext(ctx) },
	})
}
