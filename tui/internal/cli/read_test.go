package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"

	"github.com/matih/ops/tui/internal/hostiletest"
)

func TestLsRefusesANegativeLimitBeforeDialling(t *testing.T) {
	var out, errb bytes.Buffer
	// Port 1 answers nobody: a usage error must come before any dial.
	code := Main([]string{"--address", "127.0.0.1:1", "ls", "--limit", "-5"}, strings.NewReader(""), &out, &errb)
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errb.String(), "--limit: expected 0 (every row) or more, got -5")
	assert.Empty(t, out.String())
}

func TestAWorkflowIDArgumentIsPrintableASCIIOfAtMost1000Characters(t *testing.T) {
	for _, id := range []string{"\x1b[2J", "pipeline-\u202esales", "caf\u00e9", strings.Repeat("w", 1001), ""} {
		var out, errb bytes.Buffer
		code := Main([]string{"--address", "127.0.0.1:1", "status", id}, strings.NewReader(""), &out, &errb)
		assert.Equal(t, ExitUsage, code, "%q", id)
		assert.Contains(t, errb.String(), "matih status: the workflow ID: expected 1-1000 printable ASCII characters", "%q", id)
		assert.NoError(t, hostiletest.Unclean(strings.TrimSuffix(errb.String(), "\n")))
	}
	assert.NoError(t, oneID(&cobra.Command{Use: "status"}, []string{strings.Repeat("w", 1000)}))
	assert.NoError(t, oneID(&cobra.Command{Use: "status"}, []string{"pipeline-sales-2026-02-12T06:07:08.000000"}))
}
