package cli

import (
	"context"
	"sync"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/console"
	"github.com/matih/ops/tui/internal/data"
)

func (a *App) runConsole(ctx context.Context) error {
	if !a.Interactive {
		return usagef("the console needs a terminal; use a subcommand (matih --help) in scripts")
	}
	prof, err := a.Conn.LoadProfile()
	if err != nil {
		return err
	}
	opts := console.Options{ReadOnly: a.ReadOnly, Identity: a.Identity, Audit: &audit.Log{Path: a.AuditPath},
		Server: prof.Namespace + " @ " + prof.Address}
	return console.Run(ctx, &dialingSource{app: a}, opts, a.In, a.Out)
}

// dialingSource dials on first use and again after the server was unreachable at
// dial time, so the console survives a server that is down when it starts.
type dialingSource struct {
	app *App
	mu  sync.Mutex
}

func (d *dialingSource) src(ctx context.Context) (data.Source, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.app.Source(ctx)
	if err != nil {
		return nil, data.Classify(err)
	}
	return s, nil
}

func (d *dialingSource) List(ctx context.Context, q string, n int, tok []byte) (data.Page, error) {
	s, err := d.src(ctx)
	if err != nil {
		return data.Page{}, err
	}
	return s.List(ctx, q, n, tok)
}

func (d *dialingSource) Count(ctx context.Context, q string) (int64, error) {
	s, err := d.src(ctx)
	if err != nil {
		return 0, err
	}
	return s.Count(ctx, q)
}

func (d *dialingSource) Status(ctx context.Context, id, run string) (status.Document, error) {
	s, err := d.src(ctx)
	if err != nil {
		return status.Document{}, err
	}
	return s.Status(ctx, id, run)
}

func (d *dialingSource) WaitChange(ctx context.Context, id, run string, n int) error {
	s, err := d.src(ctx)
	if err != nil {
		return err
	}
	return s.WaitChange(ctx, id, run, n)
}

func (d *dialingSource) Approve(ctx context.Context, id string, sig contract.ApprovalSignal) error {
	s, err := d.src(ctx)
	if err != nil {
		return err
	}
	return s.Approve(ctx, id, sig)
}

func (d *dialingSource) Cancel(ctx context.Context, id string, sig contract.CancelSignal) error {
	s, err := d.src(ctx)
	if err != nil {
		return err
	}
	return s.Cancel(ctx, id, sig)
}

func (d *dialingSource) Pause(ctx context.Context, id string, sig contract.PauseSignal, resume bool) error {
	s, err := d.src(ctx)
	if err != nil {
		return err
	}
	return s.Pause(ctx, id, sig, resume)
}

func (d *dialingSource) Terminate(ctx context.Context, id, reason string) error {
	s, err := d.src(ctx)
	if err != nil {
		return err
	}
	return s.Terminate(ctx, id, reason)
}

func (d *dialingSource) Start(ctx context.Context, req data.StartRequest) (string, error) {
	s, err := d.src(ctx)
	if err != nil {
		return "", err
	}
	return s.Start(ctx, req)
}

func (d *dialingSource) BackfillInput(ctx context.Context, id string) (contract.BackfillConfig, error) {
	s, err := d.src(ctx)
	if err != nil {
		return contract.BackfillConfig{}, err
	}
	return s.BackfillInput(ctx, id)
}

func (d *dialingSource) Queues(ctx context.Context, also ...string) ([]data.Queue, error) {
	s, err := d.src(ctx)
	if err != nil {
		return nil, err
	}
	return s.Queues(ctx, also...)
}

func (d *dialingSource) Deployments(ctx context.Context) ([]data.Deployment, error) {
	s, err := d.src(ctx)
	if err != nil {
		return nil, err
	}
	return s.Deployments(ctx)
}

func (d *dialingSource) Ping(ctx context.Context) (data.ServerInfo, error) {
	s, err := d.src(ctx)
	if err != nil {
		return data.ServerInfo{}, err
	}
	return s.Ping(ctx)
}

func (d *dialingSource) Failures(ctx context.Context, since time.Time) ([]data.Failure, error) {
	s, err := d.src(ctx)
	if err != nil {
		return nil, err
	}
	return s.Failures(ctx, since)
}
