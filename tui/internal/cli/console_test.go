package cli

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/assert"

	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/console"
)

// runNow runs a command and everything it batches, feeding answers back to the model;
// ticks (which wait) are left out.
func runNow(m tea.Model, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		select {
		case msg := <-done:
			if b, ok := msg.(tea.BatchMsg); ok {
				queue = append(queue, b...)
			} else if msg != nil {
				_, next := m.Update(msg)
				queue = append(queue, next)
			}
		case <-time.After(3 * time.Second):
		}
	}
}

// A console started while the server is down shows the banner, keeps running and
// dials again on the next refresh.
func TestConsoleStartsWithServerDown(t *testing.T) {
	app := &App{Identity: "ana@bastion"}
	app.Conn.Address = testkit.FreeAddr(t)
	m := console.New(&dialingSource{app: app}, console.Options{Identity: app.Identity})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	runNow(m, m.Init())
	v := m.View()
	assert.Equal(t, 24, len(strings.Split(v, "\n")))
	assert.True(t, strings.HasPrefix(strings.Split(v, "\n")[1], "DISCONNECTED · no data yet · retry in "), v)
	assert.Contains(t, v, "unreachable")
	runNow(m, func() tea.Msg { return tea.KeyMsg{Type: tea.KeyCtrlR} })
	assert.Contains(t, m.View(), "DISCONNECTED", "each refresh dials again and backs off")
}
