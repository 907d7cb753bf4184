//go:build rollout_drill

package pipeline

// incompatibleDrill makes this build incompatible with every recorded run; see
// drill_off.go.
const incompatibleDrill = true
