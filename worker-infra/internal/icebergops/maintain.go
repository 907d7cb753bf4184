package icebergops

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/compaction"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/keepalive"
)

// Maintainer compacts tables and expires old snapshots.
type Maintainer struct {
	Catalog catalog.Catalog
	// Heartbeat is called between steps, and every KeepAlive (default 5 s) while
	// one runs: a rewrite of a large table or a commit takes longer than the
	// activities' 30 s heartbeat timeout. nil means none.
	Heartbeat func(ctx context.Context, details ...any)
	KeepAlive time.Duration
}

// keepBeating heartbeats step every KeepAlive until the returned stop is called.
func (m *Maintainer) keepBeating(ctx context.Context, step string) (stop func()) {
	if m.Heartbeat == nil {
		return func() {}
	}
	every := m.KeepAlive
	if every <= 0 {
		every = 5 * time.Second
	}
	return keepalive.Every(ctx, every, func() { m.Heartbeat(ctx, step) })
}

func (m *Maintainer) beat(ctx context.Context, step string) {
	if m.Heartbeat != nil {
		m.Heartbeat(ctx, step)
	}
}

// fileStats counts the live data files, their bytes and rows.
func fileStats(ctx context.Context, tbl *table.Table) (files int, bytes, rows int64, err error) {
	if tbl.CurrentSnapshot() == nil {
		return 0, 0, 0, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("plan files: %w", err)
	}
	for _, t := range tasks {
		files++
		bytes += t.File.FileSizeBytes()
		rows += t.File.Count()
	}
	return files, bytes, rows, nil
}

// Compact bin-packs small data files with iceberg-go's compaction (Analyze, then
// RewriteDataFiles in one atomic commit) and reports files, bytes and rows before
// and after.
func (m *Maintainer) Compact(ctx context.Context, req contract.CompactionRequest) (contract.CompactionResult, error) {
	res := contract.CompactionResult{Table: req.Table}
	defer m.keepBeating(ctx, "compacting")()
	tbl, _, err := loadTable(ctx, m.Catalog, "table", req.Table)
	if err != nil {
		return res, err
	}
	if res.FilesBefore, res.BytesBefore, res.Rows, err = fileStats(ctx, tbl); err != nil {
		return res, err
	}
	cfg := compaction.DefaultConfig()
	if req.TargetFileBytes > 0 {
		cfg.TargetFileSizeBytes = req.TargetFileBytes
		cfg.MinFileSizeBytes = req.TargetFileBytes * 3 / 4
		cfg.MaxFileSizeBytes = req.TargetFileBytes * 9 / 5
	}
	plan, err := compaction.Analyze(ctx, tbl, cfg)
	if err != nil {
		return res, fmt.Errorf("analyze %s: %w", req.Table, err)
	}
	m.beat(ctx, "analyzed")
	if len(plan.Groups) == 0 {
		res.FilesAfter, res.BytesAfter, res.RowsAfter = res.FilesBefore, res.BytesBefore, res.Rows
		res.Skipped = "no files need compaction"
		return res, nil
	}
	groups := make([]table.CompactionTaskGroup, len(plan.Groups))
	for i, g := range plan.Groups {
		groups[i] = table.CompactionTaskGroup{PartitionKey: g.PartitionKey, Tasks: g.Tasks, TotalSizeBytes: g.TotalSizeBytes}
	}
	txn := tbl.NewTransaction()
	if _, err := txn.RewriteDataFiles(ctx, groups, table.RewriteDataFilesOptions{}); err != nil {
		return res, fmt.Errorf("rewrite %s: %w", req.Table, err)
	}
	next, err := txn.Commit(ctx)
	if err != nil {
		return res, fmt.Errorf("commit compaction of %s: %w", req.Table, err)
	}
	m.beat(ctx, "committed")
	if res.FilesAfter, res.BytesAfter, res.RowsAfter, err = fileStats(ctx, next); err != nil {
		return res, err
	}
	if res.RowsAfter != res.Rows {
		return res, fmt.Errorf("compaction of %s changed the row count from %d to %d", req.Table, res.Rows, res.RowsAfter)
	}
	return res, nil
}

// Expire removes snapshots older than req.OlderThan beyond the last req.RetainLast;
// tagged snapshots (migration backups) are always kept.
func (m *Maintainer) Expire(ctx context.Context, req contract.ExpiryRequest) (contract.CompactionResult, error) {
	res := contract.CompactionResult{Table: req.Table}
	defer m.keepBeating(ctx, "expiring")()
	tbl, _, err := loadTable(ctx, m.Catalog, "table", req.Table)
	if err != nil {
		return res, err
	}
	before := len(tbl.Metadata().Snapshots())
	var opts []table.ExpireSnapshotsOpt
	if req.OlderThan > 0 {
		opts = append(opts, table.WithOlderThan(time.Duration(req.OlderThan)))
	}
	if req.RetainLast > 0 {
		opts = append(opts, table.WithRetainLast(req.RetainLast))
	}
	txn := tbl.NewTransaction()
	if err := txn.ExpireSnapshots(opts...); err != nil {
		return res, fmt.Errorf("expire snapshots of %s: %w", req.Table, err)
	}
	next, err := txn.Commit(ctx)
	if err != nil {
		return res, fmt.Errorf("commit expiry of %s: %w", req.Table, err)
	}
	res.SnapshotsExpired = before - len(next.Metadata().Snapshots())
	res.FilesAfter, res.BytesAfter, res.RowsAfter, err = fileStats(ctx, next)
	res.FilesBefore, res.BytesBefore, res.Rows = res.FilesAfter, res.BytesAfter, res.RowsAfter
	return res, err
}
