// Package keepalive runs a function on a ticker while one long call blocks: an
// activity waiting on a single commit or DDL statement still heartbeats, so Temporal
// neither mistakes it for a dead worker nor withholds a cancellation from it.
package keepalive

import (
	"context"
	"time"
)

// Every calls fn every d until the returned stop is called or ctx ends.
func Every(ctx context.Context, d time.Duration, fn func()) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				fn()
			}
		}
	}()
	return func() { close(done) }
}
