package integration

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/matih/ops/shared/testkit"
)

// The soak's limits, as the production bar states them.
const (
	soakMaxGrowth   = 0.10 // from the second window to the last, per process and figure
	soakMaxP99Ratio = 1.5  // approval p99 of any window over the first window's
)

// soakWindow is what one window of the run measured.
type soakWindow struct {
	usage               map[string]usage // each process's floor: its lowest reading
	approvals, statuses []time.Duration
	started             int
}

// soakReport is the per-window table and the checks of one soak.
type soakReport struct {
	plan    soakPlan
	names   []string // the processes, in the order of the table
	windows []soakWindow
	checks  []soakCheck
}

type soakCheck struct {
	ok           bool
	what, detail string
}

func newSoakReport(plan soakPlan, l *soakLoad, probes []probe, samples []sample) *soakReport {
	r := &soakReport{plan: plan, windows: make([]soakWindow, int((plan.duration+plan.window-1)/plan.window))}
	for _, p := range probes {
		r.names = append(r.names, p.name)
	}
	at := func(t time.Time) int { return min(max(int(t.Sub(l.began)/plan.window), 0), len(r.windows)-1) }
	byWindow := make([][]sample, len(r.windows))
	for _, s := range samples {
		byWindow[at(s.at)] = append(byWindow[at(s.at)], s)
	}
	for i, in := range byWindow {
		r.windows[i].usage = floors(r.names, in)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.approvalTimes {
		w := &r.windows[at(x.at)]
		w.approvals = append(w.approvals, x.took)
	}
	for _, x := range l.statusTimes {
		w := &r.windows[at(x.at)]
		w.statuses = append(w.statuses, x.took)
	}
	for _, at0 := range l.startedAt {
		r.windows[at(at0)].started++
	}
	r.add(len(l.startErrors) == 0, "every run started", fmt.Sprintf("%d pipelines, %d backfills; %d refused %s",
		len(l.pipelineIDs), len(l.backfillIDs), len(l.startErrors), strings.Join(first(l.startErrors, 3), "; ")))
	r.add(len(l.approvalErrors) == 0, "every low-quality run approved", fmt.Sprintf("%d approvals, %d failed %s",
		len(l.approvalTimes), len(l.approvalErrors), strings.Join(first(l.approvalErrors, 3), "; ")))
	r.add(l.apiErrors == 0, "the API answered every read", fmt.Sprintf("%d status reads, %d errors", len(l.statusTimes), l.apiErrors))
	r.checkGrowth()
	r.checkApprovalP99()
	return r
}

// floors is each process's lowest reading over samples (its memory, goroutines and
// descriptors each on their own). A run in flight holds goroutines, descriptors and
// buffers for a while; what stays between runs is the floor, which a leak raises and
// a burst of work does not.
func floors(names []string, samples []sample) map[string]usage {
	out := map[string]usage{}
	for _, n := range names {
		var low usage
		seen := false
		for _, s := range samples {
			u, ok := s.usages[n]
			if !ok {
				continue
			}
			if !seen {
				low, seen = u, true
				continue
			}
			kinds := low.kinds
			if u.fds < low.fds {
				kinds = u.kinds // the descriptors of the reading that set the floor
			}
			low = usage{rss: min(low.rss, u.rss), goroutines: min(low.goroutines, u.goroutines), fds: min(low.fds, u.fds), kinds: kinds}
		}
		if seen {
			out[n] = low
		}
	}
	return out
}

func (r *soakReport) add(ok bool, what, detail string) {
	r.checks = append(r.checks, soakCheck{ok, what, detail})
}

// checkGrowth compares each process's second window with its last: the first
// holds the start-up, the second the steady state.
func (r *soakReport) checkGrowth() {
	second, last := r.windows[1].usage, r.windows[len(r.windows)-1].usage
	for _, n := range r.names {
		a, okA := second[n]
		b, okB := last[n]
		if !okA || !okB {
			r.add(false, n+" grows by at most 10%", "not read in the second or the last window: it stopped answering")
			continue
		}
		var grew []string
		ok := true
		for _, f := range []struct {
			name string
			a, b int64
		}{{"RSS", a.rss, b.rss}, {"goroutines", int64(a.goroutines), int64(b.goroutines)}, {"descriptors", int64(a.fds), int64(b.fds)}} {
			if f.a < 0 {
				continue // not exported
			}
			g := float64(f.b-f.a) / float64(max(f.a, 1))
			ok = ok && g <= soakMaxGrowth
			grew = append(grew, fmt.Sprintf("%s %s → %s (%+.0f%%)", f.name, show(f.name, f.a), show(f.name, f.b), 100*g))
			if f.name == "descriptors" && f.b > f.a && a.kinds != nil && b.kinds != nil {
				grew[len(grew)-1] += " added: " + addedKinds(a.kinds, b.kinds)
			}
		}
		r.add(ok, n+" grows by at most 10%", strings.Join(grew, ", "))
	}
}

func show(figure string, v int64) string {
	if figure == "RSS" {
		return fmt.Sprintf("%.0f MiB", float64(v)/(1<<20))
	}
	return fmt.Sprint(v)
}

// checkApprovalP99 holds every window's approval p99 to 1.5x the first window's.
func (r *soakReport) checkApprovalP99() {
	if len(r.windows[0].approvals) == 0 {
		r.add(false, "approval p99 within 1.5x of the first window's", "no approval in the first window")
		return
	}
	base := testkit.QuantileMs(r.windows[0].approvals, 0.99)
	worst, at := base, 0
	for i, w := range r.windows {
		if len(w.approvals) > 0 && testkit.QuantileMs(w.approvals, 0.99) > worst {
			worst, at = testkit.QuantileMs(w.approvals, 0.99), i
		}
	}
	r.add(worst <= soakMaxP99Ratio*base, "approval p99 within 1.5x of the first window's",
		fmt.Sprintf("first %.0f ms, worst %.0f ms in window %d (%.2fx)", base, worst, at+1, worst/base))
}

// checkRuns waits up to within for every run of the load to close, and checks that
// each completed.
func (r *soakReport) checkRuns(t *testing.T, l *soakLoad, within time.Duration) {
	ids := append(slices.Clone(l.pipelineIDs), l.backfillIDs...)
	deadline := time.Now().Add(within)
	var notDone []string
	for {
		notDone = notDone[:0]
		open := 0
		for _, id := range ids {
			switch s := closedStatus(l.c, id); s {
			case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
			case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED:
				open++
				notDone = append(notDone, id+" still open")
			default:
				notDone = append(notDone, id+" "+s.String())
			}
		}
		if open == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Second)
	}
	r.add(len(notDone) == 0, "every run completed", fmt.Sprintf("%d runs, %d not completed %s", len(ids), len(notDone), strings.Join(first(notDone, 5), "; ")))
	t.Logf("runs checked: %d", len(ids))
}

// checkConsole checks that the console, open since the start, still follows the
// runs: its "all" tab counts every run of the load.
func (r *soakReport) checkConsole(c *soakConsole, runs int) {
	want := fmt.Sprintf("all %d", runs)
	var screen string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if screen = c.screen(); strings.Contains(screen, want) {
			break
		}
	}
	header, _, _ := strings.Cut(strings.TrimPrefix(screen[strings.Index(screen, "\n")+1:], "\n"), "\n")
	r.add(strings.Contains(screen, want), "the console still counts every run", fmt.Sprintf("want %q, its tabs read %q", want, strings.TrimSpace(header)))
}

func first(s []string, n int) []string { return s[:min(len(s), n)] }

// write prints the tables, keeps them in MATIH_SOAK_REPORT when set, and fails the
// test on any failed check.
func (r *soakReport) write(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of steady load on the cluster, %s windows. Per window: pipelines started, approvals and their round trip (update sent to the workflow's answer), the API's status read, and each process's floor, its lowest reading in the window, of RSS (MiB) / goroutines / open descriptors: a leak raises it, work in flight does not (the console exports no goroutines).\n\n", r.plan.duration, r.plan.window)
	b.WriteString("| minutes | started | approvals | approval p50 / p99 ms | status p50 / p99 ms |")
	for _, n := range r.names {
		b.WriteString(" " + n + " |")
	}
	b.WriteString("\n|---|---|---|---|---|" + strings.Repeat("---|", len(r.names)) + "\n")
	for i, w := range r.windows {
		from := time.Duration(i) * r.plan.window
		fmt.Fprintf(&b, "| %.0f–%.0f | %d | %d | %s | %s |", from.Minutes(), (from + r.plan.window).Minutes(), w.started, len(w.approvals), p50p99(w.approvals), p50p99(w.statuses))
		for _, n := range r.names {
			if u, ok := w.usage[n]; ok {
				fmt.Fprintf(&b, " %.0f / %s / %d |", float64(u.rss)/(1<<20), goroutines(u), u.fds)
			} else {
				b.WriteString(" not read |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n| check | result | detail |\n|---|---|---|\n")
	failed := 0
	for _, c := range r.checks {
		mark := "pass"
		if !c.ok {
			mark, failed = "FAIL", failed+1
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.what, mark, strings.ReplaceAll(c.detail, "|", "/"))
	}
	t.Log("\n" + b.String())
	if path := os.Getenv("MATIH_SOAK_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Errorf("write %s: %v", path, err)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d soak checks failed (the table above says which)", failed, len(r.checks))
	}
}

func p50p99(d []time.Duration) string {
	if len(d) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f / %.0f", testkit.QuantileMs(d, 0.50), testkit.QuantileMs(d, 0.99))
}

func goroutines(u usage) string {
	if u.goroutines < 0 {
		return "–"
	}
	return fmt.Sprint(u.goroutines)
}
