package testkit

import (
	"net"
	"sync/atomic"
	"testing"
)

// Dialled is a listener on loopback that counts the connections it accepts: where
// a hostile input points, so a test can prove nothing connected there.
type Dialled struct {
	Addr     string
	accepted atomic.Int32
}

// Count is how many connections reached the listener.
func (d *Dialled) Count() int { return int(d.accepted.Load()) }

// ListenCounting starts a counting listener, closed when the test ends.
func ListenCounting(t testing.TB) *Dialled {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	d := &Dialled{Addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d.accepted.Add(1)
			c.Close()
		}
	}()
	return d
}
