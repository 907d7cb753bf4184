package status

// Merge lays what the workflow says about itself over the history view. History keeps
// the timeline (it has attempts and failures); the workflow adds phase, progress, the
// approval gate and quality evidence, and steps history cannot see (skipped ones).
func Merge(doc *Document, q Document) {
	doc.ProgressSource = SourceQuery
	if q.Phase != "" {
		doc.Phase = q.Phase
	}
	if q.CurrentActivity != "" || doc.Status == WorkflowRunning {
		doc.CurrentActivity = q.CurrentActivity
	}
	doc.Progress = q.Progress
	if q.PendingSignals != nil {
		doc.PendingSignals = q.PendingSignals
	}
	if q.Approval != nil {
		doc.Approval = mergeApproval(doc.Approval, q.Approval)
	}
	if q.Quality != nil {
		doc.Quality = q.Quality
	}
	if q.Partitions != nil {
		doc.Partitions = q.Partitions
	}
	if q.RefusedSignals != nil {
		doc.RefusedSignals = q.RefusedSignals
	}
	doc.Activities = mergeActivities(doc.Activities, q.Activities)
}

// mergeActivities adds the steps only the workflow knows (skipped ones) to the history
// timeline, each right after the step that precedes it in the workflow's own list.
func mergeActivities(hist, q []Activity) []Activity {
	seen := map[string]bool{}
	for _, a := range hist {
		seen[a.Name] = true
	}
	out := append([]Activity{}, hist...)
	for i, a := range q {
		if seen[a.Name] {
			continue
		}
		at := 0
		if i > 0 {
			at = len(out)
			for j := len(out) - 1; j >= 0; j-- {
				if out[j].Name == q[i-1].Name {
					at = j + 1
					break
				}
			}
		}
		out = append(out[:at], append([]Activity{a}, out[at:]...)...)
		seen[a.Name] = true
	}
	return out
}

func mergeApproval(hist, q *Approval) *Approval {
	// The workflow's own view of its gate wins: it knows which decisions it took.
	out := *q
	if len(out.Ignored) == 0 && hist != nil {
		out.Ignored = hist.Ignored
	}
	return &out
}
