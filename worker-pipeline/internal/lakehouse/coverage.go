package lakehouse

import (
	"sort"
	"strings"
	"time"
)

// coverage is a set of time ranges [start, end), sorted and merged: what partition
// overwrites loaded on one column. Ten years of hourly partitions loaded in order are
// one range, so the record stays a few bytes where a list of partitions would be MBs.
type coverage []span

type span struct{ start, end time.Time }

// parseCoverage reads "start/end,start/end" (RFC 3339); what does not parse is
// dropped, which only means those partitions count as not loaded.
func parseCoverage(s string) coverage {
	var c coverage
	for _, part := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(part, "/")
		if !ok {
			continue
		}
		start, err1 := time.Parse(time.RFC3339, a)
		end, err2 := time.Parse(time.RFC3339, b)
		if err1 == nil && err2 == nil && start.Before(end) {
			c = c.add(start, end)
		}
	}
	return c
}

// add merges [start, end) into the set.
func (c coverage) add(start, end time.Time) coverage {
	out := append(coverage{}, c...)
	out = append(out, span{start.UTC(), end.UTC()})
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && !s.start.After(merged[n-1].end) {
			if s.end.After(merged[n-1].end) {
				merged[n-1].end = s.end
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// covers tells whether [start, end) lies inside one range of the set.
func (c coverage) covers(start, end time.Time) bool {
	i := sort.Search(len(c), func(i int) bool { return c[i].end.After(start) })
	return i < len(c) && !c[i].start.After(start) && !c[i].end.Before(end)
}

func (c coverage) String() string {
	parts := make([]string, len(c))
	for i, s := range c {
		parts[i] = s.start.Format(time.RFC3339) + "/" + s.end.Format(time.RFC3339)
	}
	return strings.Join(parts, ",")
}
