// Package route decides a notification's severity and the channels it goes to: the
// issue's defaults, or a YAML routing file with per-pipeline overrides.
package route

import (
	"slices"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-notify/internal/channel"
)

// DefaultCriticalBelow is the quality score under which a quality issue pages.
const DefaultCriticalBelow = 0.5

// Severities in rising order.
var Severities = []string{contract.SeverityInfo, contract.SeverityWarning, contract.SeverityCritical}

// defaultRoutes are the issue's defaults: completion (info) to Slack; a quality issue
// (warning) to Slack and email; a failure (critical) to PagerDuty and Slack.
var defaultRoutes = map[string][]string{
	contract.SeverityInfo:     {channel.Slack},
	contract.SeverityWarning:  {channel.Slack, channel.Email},
	contract.SeverityCritical: {channel.PagerDuty, channel.Slack},
}

// Routing maps severities to channels. The outbox is not listed: it records every
// notification whatever the routes say.
type Routing struct {
	Routes        map[string][]string
	CriticalBelow float64
	Pipelines     map[string]Override
}

// Override replaces parts of the routing for one pipeline.
type Override struct {
	Routes        map[string][]string
	CriticalBelow *float64
}

// Default is the issue's routing restricted to the configured channels.
func Default(configured map[string]bool) Routing {
	r := Routing{Routes: map[string][]string{}, CriticalBelow: DefaultCriticalBelow}
	for sev, chans := range defaultRoutes {
		r.Routes[sev] = onlyConfigured(chans, configured)
	}
	return r
}

func onlyConfigured(chans []string, configured map[string]bool) []string {
	out := []string{}
	for _, c := range chans {
		if configured[c] {
			out = append(out, c)
		}
	}
	return out
}

// Rank orders severities; unknown ones rank below info.
func Rank(sev string) int {
	return slices.Index(Severities, sev)
}

// ValidSeverity tells whether s names a severity.
func ValidSeverity(s string) bool { return Rank(s) >= 0 }

// CriticalBelowFor is the quality threshold of a pipeline.
func (r Routing) CriticalBelowFor(pipeline string) float64 {
	if o, ok := r.Pipelines[pipeline]; ok && o.CriticalBelow != nil {
		return *o.CriticalBelow
	}
	return r.CriticalBelow
}

// Severity is the routing's default severity for a kind, raised to requested when a
// caller asked for more. A quality issue is critical below the pipeline's threshold.
func (r Routing) Severity(kind, pipeline string, score float64, requested string) string {
	sev := contract.SeverityInfo
	switch kind {
	case contract.KindFailure:
		sev = contract.SeverityCritical
	case contract.KindQualityIssue:
		sev = contract.SeverityWarning
		if score < r.CriticalBelowFor(pipeline) {
			sev = contract.SeverityCritical
		}
	}
	if Rank(requested) > Rank(sev) {
		return requested
	}
	return sev
}

// Channels lists where a notification of this severity for this pipeline goes.
func (r Routing) Channels(pipeline, severity string) []string {
	if o, ok := r.Pipelines[pipeline]; ok {
		if chans, ok := o.Routes[severity]; ok {
			return slices.Clone(chans)
		}
	}
	return slices.Clone(r.Routes[severity])
}
