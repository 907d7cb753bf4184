package console

import (
	"fmt"
	"time"

	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/sanitize"
)

// maxSamples bounds the failing samples shown per check; the JSON has them all.
const maxSamples = 3

// evidence shows what an approver needs: score against the minimum, every check, time left.
func evidence(e *env, doc *status.Document, width int, now time.Time) []string {
	st := e.st
	var out []string
	if ap := doc.Approval; ap != nil {
		out = append(out, st.Header.Render("approval"))
		if ap.Decided {
			verb := "approved"
			if !ap.Approved {
				verb = "rejected"
			}
			out = append(out, fmt.Sprintf("  %s by %s: %s", verb, sanitize.Text(ap.Approver), sanitize.Text(ap.Reason)))
		} else {
			left := max(0, ap.Deadline.Sub(now))
			out = append(out, fmt.Sprintf("  min score %.2f · %s left (times out %s)", ap.MinScore, status.FormatDuration(left), ap.Deadline.Local().Format("15:04")))
		}
	}
	if q := doc.Quality; q != nil {
		out = append(out, fmt.Sprintf("  quality score %.2f over %d rows", q.Score, q.Rows))
		for _, c := range q.Checks {
			if c.Passed {
				out = append(out, fit("  "+st.OK.Render("PASS")+" "+sanitize.Text(c.Name), width))
				continue
			}
			out = append(out, fit("  "+st.Bad.Render("FAIL")+" "+sanitize.Text(fmt.Sprintf("%s %d/%d rows failed", c.Name, c.FailedRows, c.TotalRows)), width))
			if c.Detail != "" {
				out = append(out, fit("       "+sanitize.Text(c.Detail), width))
			}
			for i, sample := range c.Samples {
				if i == maxSamples {
					out = append(out, st.Dim.Render(fmt.Sprintf("       … %d more samples (matih status -o json)", len(c.Samples)-maxSamples)))
					break
				}
				out = append(out, fit("       "+sanitize.Text(sample), width))
			}
		}
	}
	return out
}
