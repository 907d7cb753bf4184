package present

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/sanitize"
)

// FleetLine is one line of the fleet: its text and whether it is an alarm (a queue
// with running workflows and no live poller), drawn red in the console.
type FleetLine struct {
	Text  string
	Alarm bool
	// Head marks a section heading.
	Head bool
}

// Fleet lays the fleet out as lines: each queue with its pollers, backlog and
// running count, then each deployment with its routing and versions. The same
// lines print for `matih queues` and draw in the console's fleet view.
func Fleet(f data.Fleet, now time.Time) []FleetLine {
	out := []FleetLine{{Text: "QUEUES", Head: true}}
	for _, q := range f.Queues {
		out = append(out, queueLines(q, f.Deployments, now)...)
	}
	out = append(out, FleetLine{Text: "DEPLOYMENTS", Head: true})
	if len(f.Deployments) == 0 {
		out = append(out, FleetLine{Text: "  none: the workers run unversioned"})
	}
	for _, d := range f.Deployments {
		out = append(out, deploymentLines(d, f.Queues, now)...)
	}
	return out
}

func queueLines(q data.Queue, _ []data.Deployment, now time.Time) []FleetLine {
	running := "running ?"
	if q.Running >= 0 {
		running = fmt.Sprintf("running %d", q.Running)
	}
	name := sanitize.Text(q.Name)
	detail := FleetLine{Text: "    " + running + " · backlog " + backlogText(q)}
	live, gone := pollers(q, now)
	var lines []FleetLine
	switch {
	case len(live) == 0 && q.Running > 0:
		why := "never polled"
		if len(gone) > 0 {
			why = "last poll " + gone[0].ago + " ago"
		}
		lines = append(lines, FleetLine{Text: fmt.Sprintf("! %s  NO LIVE WORKER (%s): %s cannot move", name, why, runs(q.Running)), Alarm: true})
	case len(live) == 0:
		lines = append(lines, FleetLine{Text: "  " + name + "  no live worker"})
	default:
		lines = append(lines, FleetLine{Text: fmt.Sprintf("  %s  %d live worker%s", name, len(live), plural(len(live)))})
	}
	lines = append(lines, detail)
	for _, p := range live {
		lines = append(lines, FleetLine{Text: "      " + p.text})
	}
	for _, p := range gone {
		lines = append(lines, FleetLine{Text: "      " + p.text})
	}
	return lines
}

func runs(n int64) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

type pollerLine struct{ text, ago string }

// pollers are the queue's workers, each once (workflow and activity pollers are the
// same process), live first.
func pollers(q data.Queue, now time.Time) (live, gone []pollerLine) {
	seen := map[string]data.Poller{}
	for _, p := range append(append([]data.Poller{}, q.WorkflowPollers...), q.ActivityPollers...) {
		if old, ok := seen[p.Identity]; !ok || p.LastAccessTime.After(old.LastAccessTime) {
			seen[p.Identity] = p
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := seen[id]
		text := sanitize.Text(p.Identity)
		if p.BuildID != "" {
			text += "  build " + sanitize.Text(p.BuildID)
		}
		age := now.Sub(p.LastAccessTime)
		switch {
		case !p.LastAccessTime.IsZero() && age >= data.PollerGone:
			gone = append(gone, pollerLine{text + "  gone: last poll " + Coarse(age) + " ago", Coarse(age)})
		case !p.LastAccessTime.IsZero():
			live = append(live, pollerLine{text + "  polled " + pollAge(age), ""})
		default:
			live = append(live, pollerLine{text, ""})
		}
	}
	return live, gone
}

func backlogText(q data.Queue) string {
	var parts []string
	for _, b := range []struct {
		name string
		b    *data.Backlog
	}{{"wf", q.WorkflowBacklog}, {"act", q.ActivityBacklog}} {
		if b.b == nil {
			continue
		}
		s := fmt.Sprintf("%s %d", b.name, b.b.Count)
		if b.b.Count > 0 {
			s += " oldest " + Coarse(b.b.Age)
		}
		if b.b.AddRate > 0 || b.b.DispatchRate > 0 {
			s += fmt.Sprintf(" +%.1f/-%.1f/s", b.b.AddRate, b.b.DispatchRate)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "?"
	}
	return strings.Join(parts, ", ")
}

func deploymentLines(d data.Deployment, qs []data.Queue, now time.Time) []FleetLine {
	head := "  " + sanitize.Text(d.Name) + "  current " + orNone(d.Current)
	if d.Ramping != "" {
		head += fmt.Sprintf("  ramping %s at %.0f%%", sanitize.Text(d.Ramping), d.RampPercent)
	}
	lines := []FleetLine{{Text: head}}
	for _, v := range d.Versions {
		role := ""
		switch v.BuildID {
		case d.Current:
			role = "current"
		case d.Ramping:
			role = "ramping"
		default:
			role = orNone(v.Drainage)
			if v.Drainage == "" {
				role = "inactive"
			}
		}
		n := livePollers(qs, d.Name, v.BuildID, now)
		text := fmt.Sprintf("      %-18s %-9s pollers %d  pinned open runs %d", sanitize.Text(v.BuildID), role, n, v.PinnedOpen)
		alarm := n == 0 && v.PinnedOpen > 0
		if alarm {
			text = "!" + text[1:] + ": no worker"
		}
		lines = append(lines, FleetLine{Text: text, Alarm: alarm})
	}
	return lines
}

// livePollers counts the distinct live workers polling as deployment's build.
func livePollers(qs []data.Queue, deployment, build string, now time.Time) int {
	ids := map[string]bool{}
	for _, q := range qs {
		for _, p := range append(append([]data.Poller{}, q.WorkflowPollers...), q.ActivityPollers...) {
			if p.Deployment == deployment && p.BuildID == build && (p.LastAccessTime.IsZero() || now.Sub(p.LastAccessTime) < data.PollerGone) {
				ids[p.Identity] = true
			}
		}
	}
	return len(ids)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return sanitize.Text(s)
}

// pollAge is a live worker's last poll to the minute: an idle worker long-polls about
// once a minute, so seconds would redraw the line (and send it over SSH) at every
// refresh while saying nothing more.
func pollAge(age time.Duration) string {
	if age < time.Minute {
		return "within 1m"
	}
	return Coarse(age) + " ago"
}
