package console

import (
	"context"
	"os"
	"sync"

	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/cli"
	"github.com/matih/ops/tui/internal/data"
)

// Run opens the console full screen until the user quits. It starts even when the
// server is down: the banner says so and every call dials again with backoff.
func Run(ctx context.Context, app *cli.App) error {
	noColor := os.Getenv("NO_COLOR") != ""
	if noColor {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	server := ""
	if prof, err := app.Conn.LoadProfile(); err == nil {
		server = prof.Namespace + " @ " + prof.Address
	} else {
		return err
	}
	opts := Options{ReadOnly: app.ReadOnly, Identity: app.Identity, Audit: &audit.Log{Path: app.AuditPath},
		Clipboard: clipboard, NoColor: noColor, Server: server}
	m := New(&dialingSource{app: app}, opts)
	_, err := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(app.In), tea.WithOutput(app.Out)).Run()
	return err
}

// clipboard sets the terminal's clipboard with OSC 52, which works over SSH.
func clipboard(s string) error {
	seq := osc52.New(s)
	if os.Getenv("TMUX") != "" {
		seq = seq.Tmux()
	}
	_, err := seq.WriteTo(os.Stderr)
	return err
}

// dialingSource dials on first use and again after the server was unreachable at
// dial time, so the console survives a server that is down when it starts.
type dialingSource struct {
	app *cli.App
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

func (d *dialingSource) Queues(ctx context.Context) ([]data.Queue, error) {
	s, err := d.src(ctx)
	if err != nil {
		return nil, err
	}
	return s.Queues(ctx)
}

func (d *dialingSource) Ping(ctx context.Context) (data.ServerInfo, error) {
	s, err := d.src(ctx)
	if err != nil {
		return data.ServerInfo{}, err
	}
	return s.Ping(ctx)
}
