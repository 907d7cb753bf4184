// Package keepalive runs a function on a ticker while one long call blocks: an
// activity waiting on a single commit or DDL statement still heartbeats, so Temporal
// neither mistakes it for a dead worker nor withholds a cancellation from it.
package keepalive

import (
	"context"
	"sync"
	"time"
)

// Every calls fn every d until the returned stop is called or ctx ends. Once stop
// has returned, fn is not running and is never called again, so a last heartbeat
// recorded after it is not overwritten by an older one. stop may be called twice.
func Every(ctx context.Context, d time.Duration, fn func()) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				select {
				case <-done: // stop and a tick at once: stop wins
					return
				default:
				}
				fn()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
	}
}
