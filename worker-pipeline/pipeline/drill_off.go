//go:build !rollout_drill

package pipeline

// incompatibleDrill is false in every real build. A build made with
// `-tags rollout_drill` starts a timer before the first step, which makes it
// non-deterministic for every recorded run: it exists to rehearse a rollout whose
// new build must not take over the runs in flight (see scripts/rollout.sh).
const incompatibleDrill = false
