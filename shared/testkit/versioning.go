package testkit

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

// SetCurrentVersion makes buildID the current version of a Worker Deployment, as
// rollout.sh does after its checks, so new runs reach the versioned workers a test
// started. It retries while the server has not yet registered the version (its first
// poll can take a moment to show up) and fails the test after 30 s.
func SetCurrentVersion(t testing.TB, c client.Client, deployment, buildID string) {
	t.Helper()
	h := c.WorkerDeploymentClient().GetHandle(deployment)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := h.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: buildID, Identity: "testkit"})
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testkit: set %s.%s current: %v", deployment, buildID, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// PromoteReady makes the version a ready worker reports on /readyz ("ready
// deployment=… build_id=…") current: the step a test takes after starting a worker
// process, so work reaches it.
func PromoteReady(t testing.TB, c client.Client, httpAddr string) {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/readyz")
	if err != nil {
		t.Fatalf("testkit: readyz of %s: %v", httpAddr, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var deployment, build string
	for _, f := range strings.Fields(string(body)) {
		if v, ok := strings.CutPrefix(f, "deployment="); ok {
			deployment = v
		}
		if v, ok := strings.CutPrefix(f, "build_id="); ok {
			build = v
		}
	}
	if resp.StatusCode != http.StatusOK || deployment == "" || build == "" {
		t.Fatalf("testkit: %s/readyz answered %d %q, want ready with its deployment version", httpAddr, resp.StatusCode, body)
	}
	SetCurrentVersion(t, c, deployment, build)
}
