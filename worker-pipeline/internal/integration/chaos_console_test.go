package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

// matihBin is the console's command, built and run as operators run it.
const matihBin = "github.com/matih/ops/tui/cmd/matih"

// console is the chaos run's matih: the binary for `matih ls`, and a `matih serve`
// (the Pipeline Service API, read-only on loopback) started before the load, so
// that it lives through the faults.
type console struct {
	bin, hostPort, audit, api string
	env                       []string // the server's client credentials, if it asks for them
}

func startConsole(t *testing.T, hostPort string, env []string) *console {
	dir := t.TempDir()
	c := &console{bin: testkit.Build(t, matihBin), hostPort: hostPort, audit: filepath.Join(dir, "audit.log"), api: testkit.FreeAddr(t), env: env}
	p := testkit.Start(t, c.bin, c.args("serve", "--listen", c.api), env, dir)
	p.WaitReady(t, c.api, 60*time.Second)
	return c
}

func (c *console) args(rest ...string) []string {
	return append([]string{"--address", c.hostPort, "--namespace", contract.DefaultNamespace, "--audit-log", c.audit}, rest...)
}

// listed runs `matih ls --limit 0 -o json` and returns each workflow's status.
func (c *console) listed() (map[string]string, error) {
	cmd := exec.Command(c.bin, c.args("ls", "--limit", "0", "-o", "json")...)
	cmd.Env = append(os.Environ(), c.env...)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("matih ls: %w", err)
	}
	var rows []struct {
		WorkflowID string `json:"workflowId"`
		Status     string `json:"status"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		return nil, fmt.Errorf("matih ls -o json: %w", err)
	}
	got := make(map[string]string, len(rows))
	for _, r := range rows {
		got[r.WorkflowID] = r.Status
	}
	return got, nil
}

// apiStatus is the status the API answers for one workflow.
func (c *console) apiStatus(id string) string {
	resp, err := http.Get("http://" + c.api + "/v1/pipelines/workflows/" + url.PathEscape(id) + "/status")
	if err != nil {
		return "unreachable: " + err.Error()
	}
	defer resp.Body.Close()
	var doc status.Document
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&doc) != nil {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return doc.Status
}

// checkConsole compares, for every run of the load, `matih ls -o json`, the API's
// status and Temporal's own answer (DescribeWorkflowExecution). Visibility lags
// the runs a little, so differences are read again for up to 30 s.
func (r *chaosReport) checkConsole(c client.Client, con *console, ids []string) {
	var wrong []string
	listedRows := 0
	for try := 0; try < 16; try++ {
		wrong = wrong[:0]
		listed, err := con.listed()
		if err != nil {
			wrong = append(wrong, err.Error())
		}
		listedRows = len(listed)
		for _, id := range ids {
			d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
			if err != nil {
				wrong = append(wrong, id+": describe: "+err.Error())
				continue
			}
			want := status.StatusName(d.GetWorkflowExecutionInfo().GetStatus())
			if got, api := listed[id], con.apiStatus(id); got != want || api != want {
				wrong = append(wrong, fmt.Sprintf("%s: Temporal %s, ls %s, API %s", id, want, got, api))
			}
		}
		if len(wrong) == 0 {
			break
		}
		time.Sleep(2 * time.Second)
	}
	r.add("matih ls -o json, the API's status and Temporal agree", len(wrong) == 0,
		fmt.Sprintf("%d runs compared, %d rows listed, %d differ %s", len(ids), listedRows, len(wrong), strings.Join(wrong[:min(len(wrong), 5)], "; ")))
}
