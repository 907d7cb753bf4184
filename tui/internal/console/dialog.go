package console

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// Actions the console can take on a workflow.
const (
	actApprove   = "approve"
	actReject    = "reject"
	actCancel    = "cancel"
	actTerminate = "terminate"
	actPause     = "pause"
	actResume    = "resume"
	actRerun     = "rerun"
)

// Default reasons recorded when a pause or resume is confirmed without one.
const (
	DefaultPauseReason  = "paused from the console"
	DefaultResumeReason = "resumed from the console"
)

// DefaultRerunReason is recorded when a rerun is confirmed without a reason.
const DefaultRerunReason = "rerun from the console"

// DefaultCancelReason is recorded when a cancel is confirmed without a reason.
const DefaultCancelReason = "cancelled from the console"

// dialog asks for what an action needs: a reason (approve, reject, terminate) and, for
// cancel and terminate, the workflow id or its last 6 characters typed back.
type dialog struct {
	action    string
	id        string
	confirm   *textinput.Model
	reason    textinput.Model
	focus     int
	err       string
	note      string
	submitted bool
	// reprocess is a rerun's mode, as its preview said.
	reprocess string
}

func newDialog(action, id string) *dialog {
	d := &dialog{action: action, id: id}
	d.reason = textinput.New()
	d.reason.Prompt = "reason: "
	d.reason.CharLimit = 500
	d.reason.Width = 50
	if action == actCancel || action == actTerminate {
		c := textinput.New()
		c.Prompt = "type id or last 6: "
		c.CharLimit = 300
		c.Width = 40
		c.Focus()
		d.confirm = &c
	} else {
		d.reason.Focus()
	}
	return d
}

func (d *dialog) multi() bool { return d.confirm != nil }

func (d *dialog) reasonText() string {
	r := strings.TrimSpace(d.reason.Value())
	switch {
	case r != "":
	case d.action == actCancel:
		return DefaultCancelReason
	case d.action == actPause:
		return DefaultPauseReason
	case d.action == actResume:
		return DefaultResumeReason
	case d.action == actRerun:
		return DefaultRerunReason
	}
	return r
}

// update handles a key; done reports the dialog closed (submitted or dismissed).
func (d *dialog) update(e *env, msg tea.KeyMsg) (done bool, cmd tea.Cmd) {
	switch {
	case key.Matches(msg, e.k.Dismiss):
		return true, nil
	case key.Matches(msg, e.k.NextField):
		if d.confirm != nil {
			d.setFocus(1 - d.focus)
		}
		return false, nil
	case key.Matches(msg, e.k.Submit):
		if d.confirm != nil && d.focus == 0 && strings.TrimSpace(d.reason.Value()) == "" && d.action == actTerminate {
			d.setFocus(1)
			return false, nil
		}
		if err := d.validate(); err != "" {
			d.err = err
			return false, nil
		}
		d.submitted = true
		return true, nil
	}
	if d.confirm != nil && d.focus == 0 {
		*d.confirm, cmd = d.confirm.Update(msg)
	} else {
		d.reason, cmd = d.reason.Update(msg)
	}
	d.err = ""
	return false, cmd
}

func (d *dialog) setFocus(f int) {
	d.focus = f
	if f == 0 {
		d.confirm.Focus()
		d.reason.Blur()
	} else {
		d.confirm.Blur()
		d.reason.Focus()
	}
}

func (d *dialog) validate() string {
	if d.confirm != nil && !present.ConfirmMatches(d.id, strings.TrimSpace(d.confirm.Value())) {
		return "type the workflow id or its last 6 characters to confirm"
	}
	if optionalReason(d.action) {
		return ""
	}
	if strings.TrimSpace(d.reason.Value()) == "" {
		return "a reason is required"
	}
	return ""
}

func (d *dialog) view(e *env) string {
	st := e.st
	id := sanitize.Text(d.id)
	title := map[string]string{
		actApprove:   "Approve this run so it continues",
		actReject:    "Reject this run (it stops without loading)",
		actCancel:    "Cancel this run (it cleans up and stops)",
		actTerminate: "Terminate this run at once (no cleanup)",
		actPause:     "Pause this backfill (partitions in flight finish)",
		actResume:    "Resume this backfill",
		actRerun:     "Rerun what this backfill left undone",
	}[d.action]
	lines := []string{st.Title.Render(title), middle(id, 56), ""}
	if d.note != "" {
		lines = append(lines, st.Warn.Render(d.note), "")
	}
	if d.confirm != nil {
		tail := id
		if r := []rune(id); len(r) > 6 {
			tail = string(r[len(r)-6:])
		}
		lines = append(lines, st.Dim.Render("to confirm, type the id or its last 6 characters: "+tail), d.confirm.View())
	}
	hint := "why? (required, recorded with your name)"
	if optionalReason(d.action) {
		hint = "why? (optional)"
	}
	lines = append(lines, st.Dim.Render(hint), d.reason.View(), "")
	if d.err != "" {
		lines = append(lines, st.Bad.Render(d.err))
	}
	lines = append(lines, st.Dim.Render("enter submit · esc close · as "+sanitize.Text(e.opts.Identity)))
	return st.Dialog.Render(strings.Join(lines, "\n"))
}

// optionalReason tells the actions that record a default reason when given none.
func optionalReason(action string) bool {
	return action == actCancel || action == actPause || action == actResume || action == actRerun
}
