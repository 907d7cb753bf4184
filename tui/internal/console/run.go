package console

import (
	"context"
	"io"
	"os"

	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/matih/ops/tui/internal/data"
)

// Run opens the console full screen until the user quits. src should dial lazily, so
// the console starts even when the server is down: the banner says so and every call
// dials again with backoff. NO_COLOR in the environment turns colour off.
func Run(ctx context.Context, src data.Source, opts Options, in io.Reader, out io.Writer) error {
	if opts.NoColor || os.Getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	if opts.Clipboard == nil {
		opts.Clipboard = clipboard
	}
	m := New(src, opts)
	_, err := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out)).Run()
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
