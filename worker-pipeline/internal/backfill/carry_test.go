package backfill

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/partition/plan"
)

// A backfill that continues as new onto a newer build (AutoUpgrade at
// continue-as-new) hands it the state it carries: the contract between the two
// builds. Each file of carrydata/ is a carry a build has written, with the progress
// it stood for; every later build must read each one to that same progress. A
// change to what is carried records a new file beside the others
// (MATIH_RECORD=1 go test ./internal/backfill -run TestRecordCarry) and never
// rewrites or deletes one.

// carryFixture is one recorded carry: the input of the next run, and what it
// must read as.
type carryFixture struct {
	Config contract.BackfillConfig `json:"config"`
	Want   carriedProgress         `json:"want"`
}

type carriedProgress struct {
	Done, Skipped, Failed, Runs int
	Rows                        int64
	Paused                      bool
	Failures                    []contract.PartitionFailure
}

func progressOf(s *state) carriedProgress {
	sum := s.summary(s.started)
	return carriedProgress{Done: sum.Done, Skipped: sum.Skipped, Failed: sum.Failed, Runs: sum.Runs, Rows: sum.Rows, Paused: sum.Paused, Failures: sum.Failures}
}

func TestACarryWrittenByAnEarlierBuildIsRead(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("carrydata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "carrydata/ holds the carries earlier builds wrote")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			var fx carryFixture
			require.NoError(t, json.Unmarshal(b, &fx))
			require.NotNil(t, fx.Config.Carry)
			pl, err := plan.New(fx.Config)
			require.NoError(t, err)
			s := newState(fx.Config, pl, nil)
			assert.Equal(t, fx.Want, progressOf(s), "this build reads the carry as the build that wrote it meant it")
			assert.Equal(t, fx.Want.Done+fx.Want.Skipped+fx.Want.Failed, s.ledger.finishedCount(), "finished partitions are not run again")
		})
	}
}

// TestRecordCarry writes the carry of this build: a backfill part way, paused, with
// done, skipped and failed partitions (their attempts' errors too) and a partition
// whose tasks lost their worker.
func TestRecordCarry(t *testing.T) {
	if os.Getenv("MATIH_RECORD") == "" {
		t.Skip("set MATIH_RECORD=1 to record this build's carry into carrydata/")
	}
	cfg := contract.BackfillConfig{PipelineID: "orders", Source: contract.SourceConfig{Connection: "orders", Table: "orders"},
		PartitionColumn: "order_date", StartDate: "2026-01-01", EndDate: "2026-03-01", PartitionSize: contract.PartitionDay,
		Destination: contract.DestinationConfig{Table: "analytics.orders_daily"}, MaxParallel: 2, FailureBudget: 10}
	pl, err := plan.New(cfg)
	require.NoError(t, err)
	s := newState(cfg, pl, nil)
	s.started = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	for i := 0; i < 30; i++ {
		s.ledger.record(contract.PartitionResult{Partition: pl.At(i), Status: contract.PartitionDone, Rows: int64(100 + i), Attempts: 1})
	}
	for i := 30; i < 35; i++ {
		s.ledger.record(contract.PartitionResult{Partition: pl.At(i), Status: contract.PartitionSkipped, Attempts: 1})
	}
	s.ledger.record(contract.PartitionResult{Partition: pl.At(40), Status: contract.PartitionFailed, Attempts: 3, Error: "column amount: not a number",
		AttemptErrors: []contract.AttemptError{{Attempt: 1, Error: "object store: 503"}, {Attempt: 2, Error: "column amount: not a number"}}})
	s.lost = map[int]int{41: 2}
	s.paused = true
	next := cfg
	next.Carry = s.carry(900)
	fx := carryFixture{Config: next, Want: progressOf(newState(next, pl, nil))}
	b, err := json.MarshalIndent(fx, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll("carrydata", 0o755))
	require.NoError(t, os.WriteFile(testkit.RecordPath(t, "carrydata", "", time.Now().UTC().Format("2006-01-02")), append(b, '\n'), 0o644))
}
