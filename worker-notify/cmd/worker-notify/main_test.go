package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/shared/workerrt"
)

func TestWorkerStartsAndRefusesBadRouting(t *testing.T) {
	for _, n := range []string{"MATIH_ROUTING", "MATIH_OUTBOX", "MATIH_SLACK_WEBHOOK_URL", "MATIH_PAGERDUTY_ROUTING_KEY", "MATIH_SMTP_HOST", "MATIH_SMTP_PASSWORD"} {
		t.Setenv(n, "")
		os.Unsetenv(n)
	}
	ds := testkit.StartDevServer(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "routing.yaml")
	if err := os.WriteFile(bad, []byte("routes:\n  warning: [slack]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--address", ds.HostPort, "--namespace", ds.Namespace, "--outbox", filepath.Join(dir, "outbox.jsonl")}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := workerrt.Run(ctx, spec(), append(base, "--routing", bad, "--http-addr", testkit.FreeAddr(t)), io.Discard)
	if err == nil || !strings.Contains(err.Error(), `routes.warning[0]: channel "slack" is not configured`) {
		t.Fatalf("want a start-up error naming routes.warning[0], got %v", err)
	}

	addr := testkit.FreeAddr(t)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- workerrt.Run(runCtx, spec(), append(base, "--http-addr", addr), io.Discard) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("worker never became ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("worker stopped with %v", err)
	}
}
