package console

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// The frame around the views: title, banner, body, flash line and help bar.

// connState is what the banner says about the server.
type connState struct {
	lastOK   time.Time
	err      error
	failures int
}

// noteResult updates the banner from any call's outcome. Answers that are about one
// run or one query (not found, refused, a malformed query) say nothing of the server.
func (m *Model) noteResult(err error, at time.Time) {
	if err == nil {
		m.e.conn = connState{lastOK: at}
		return
	}
	if errors.Is(err, data.ErrNotFound) || errors.Is(err, data.ErrRefused) || errors.Is(err, data.ErrInvalidQuery) {
		return
	}
	m.e.conn.err = err
	m.e.conn.failures++
}

// trouble is how the banner names a failure and what it tells the reader to do.
type trouble struct{ name, advice string }

// troubleOf classifies a failure for the banner; each class has its own words.
func troubleOf(err error) trouble {
	switch {
	case errors.Is(err, data.ErrUnreachable):
		return trouble{"DISCONNECTED", ""}
	case errors.Is(err, data.ErrUnauthenticated):
		return trouble{"NOT AUTHENTICATED", "the server refused our credentials: renew the API key or certificate in the profile"}
	case errors.Is(err, data.ErrPermission):
		return trouble{"PERMISSION DENIED", "this identity may not read here: ask for the namespace's read role"}
	case errors.Is(err, data.ErrNamespace):
		return trouble{"NAMESPACE NOT FOUND", "check --namespace or the profile; the namespace may have been deleted"}
	case errors.Is(err, data.ErrRateLimited):
		return trouble{"RATE LIMITED", "the server asks us to slow down; backing off"}
	}
	return trouble{"ERROR", ""}
}

func (m *Model) bannerLines() int { return len(m.banner()) }

// banner says what failed, how old the data on screen is and when the next try is;
// a failure the reader can fix gets a second line saying what to do.
func (m *Model) banner() []string {
	c := m.e.conn
	if c.err == nil {
		return nil
	}
	t := troubleOf(c.err)
	parts := []string{t.name, "no data yet"}
	if !c.lastOK.IsZero() {
		ago := m.e.opts.Now().Sub(c.lastOK)
		parts[1] = fmt.Sprintf("data from %s (%s ago)", c.lastOK.Local().Format("15:04:05"), status.FormatDuration(ago))
	}
	parts = append(parts, "retry in "+status.FormatDuration(backoff(m.e.opts.Refresh, c.failures)))
	msg := present.OneLine(c.err.Error())
	if t.advice == "" {
		return []string{strings.Join(append(parts, msg), " · ")}
	}
	return []string{strings.Join(parts, " · "), t.advice + " · " + msg}
}

// View draws title, banner, body, flash line and help bar.
func (m *Model) View() string {
	m.resize()
	st := m.e.st
	var b strings.Builder
	b.WriteString(m.titleLine() + "\n")
	for _, line := range m.banner() {
		b.WriteString(st.Banner.Render(fit(line, m.width)) + "\n")
	}
	bodyH := m.bodyHeight()
	var body string
	switch {
	case m.dialog != nil:
		body = lipgloss.Place(m.width, bodyH, lipgloss.Center, lipgloss.Center, m.dialog.view(m.e))
	case m.showHelp:
		body = m.helpView()
	default:
		body = m.top().view(m.e)
	}
	b.WriteString(padLines(body, bodyH, m.width) + "\n")
	flash, style := m.flash, st.Flash
	if m.flashErr {
		style = st.FlashErr
	}
	if flash == "" {
		flash, style = m.hint(), st.Warn
	}
	b.WriteString(style.Render(fit(flash, m.width)) + "\n")
	b.WriteString(fit(m.help.ShortHelpView(m.currentHelp().ShortHelp()), m.width))
	return b.String()
}

func (m *Model) titleLine() string {
	st := m.e.st
	t := st.Title.Render("MATIH console")
	if m.e.opts.Server != "" {
		t += " " + st.Dim.Render(sanitize.Text(m.e.opts.Server))
	}
	if m.e.opts.ReadOnly {
		t += " " + st.Warn.Render("[read-only]")
	}
	return t
}

func (m *Model) helpView() string {
	h := m.help
	h.ShowAll = true
	how := "Approve a waiting run: select it, press a, type a reason, press enter."
	if !m.e.acts() {
		how = "This console is read-only (" + m.e.opts.ReadOnlyWhy + "): it offers no action."
	}
	return m.e.st.Header.Render(m.top().title()) + "\n\n" + h.View(m.currentHelp()) + "\n\n" +
		m.e.st.Dim.Render(how+"\nPress ? or esc to close this help.")
}
