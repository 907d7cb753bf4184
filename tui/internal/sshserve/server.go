package sshserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	bm "github.com/charmbracelet/wish/bubbletea"
)

// Options configure the SSH listener.
type Options struct {
	Addr        string
	HostKeyPath string // created (ed25519, 0600) on first start
	Keys        *Keys
	// Console builds the console of one interactive session, as the person.
	Console func(s ssh.Session, p Person, r *lipgloss.Renderer) tea.Model
	// Command runs one scriptable command (`ssh host ls -o json`) as the person and
	// returns its exit status.
	Command func(s ssh.Session, p Person, args []string) int
	// IdleTimeout closes a session that sent nothing for so long; 0 means 30 minutes.
	IdleTimeout time.Duration
	// MaxSessions caps concurrent sessions; 0 means 50.
	MaxSessions int
	Logger      *slog.Logger
	// Audit records each session's start and end (what, the person, the client's
	// address); nil records nothing.
	Audit func(what string, p Person, client string)
}

type personKey struct{}

// New builds the SSH server: public keys only (no password, no keyboard-interactive),
// each looked up in the key files before any Temporal call.
func New(o Options) (*ssh.Server, error) {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 50
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(o.HostKeyPath), 0o700); err != nil {
		return nil, fmt.Errorf("--host-key: %w", err)
	}
	var sessions atomic.Int64
	return wish.NewServer(
		wish.WithAddress(o.Addr),
		wish.WithHostKeyPath(o.HostKeyPath),
		wish.WithIdleTimeout(o.IdleTimeout),
		wish.WithPublicKeyAuth(func(ctx ssh.Context, key ssh.PublicKey) bool {
			p, ok := o.Keys.Lookup(key)
			if !ok {
				o.Logger.Warn("ssh key refused", "fingerprint", fingerprint(key), "client", ctx.RemoteAddr().String())
				return false
			}
			ctx.SetValue(personKey{}, p)
			return true
		}),
		wish.WithMiddleware(func(next ssh.Handler) ssh.Handler {
			return func(s ssh.Session) {
				if n := sessions.Add(1); n > int64(o.MaxSessions) {
					sessions.Add(-1)
					fmt.Fprintf(s.Stderr(), "matih: %d sessions are open, the most this server takes; try again later\n", o.MaxSessions)
					_ = s.Exit(5)
					return
				}
				defer sessions.Add(-1)
				handle(o, s)
			}
		}),
	)
}

// handle runs one session: a command when one is given, else the console on a PTY.
func handle(o Options, s ssh.Session) {
	p, ok := s.Context().Value(personKey{}).(Person)
	if !ok { // cannot happen: authentication stores it
		_ = s.Exit(1)
		return
	}
	start := time.Now()
	client := s.RemoteAddr().String()
	log := o.Logger.With("identity", p.Name, "role", p.Role, "fingerprint", p.Fingerprint, "client", client)
	audit := func(what string) {
		if o.Audit != nil {
			o.Audit(what, p, client)
		}
	}
	audit("ssh session start")
	defer func() {
		audit("ssh session end")
		log.Info("ssh session ended", "took", time.Since(start).Round(time.Millisecond))
	}()
	if args := s.Command(); len(args) > 0 {
		log.Info("ssh command", "command", args[0])
		_ = s.Exit(o.Command(s, p, args))
		return
	}
	if _, _, pty := s.Pty(); !pty {
		fmt.Fprintln(s.Stderr(), "matih: no terminal: connect with ssh -t for the console, or give a command such as `ls -o json`")
		_ = s.Exit(2)
		return
	}
	log.Info("ssh console")
	bm.Middleware(func(s ssh.Session) (tea.Model, []tea.ProgramOption) {
		return o.Console(s, p, bm.MakeRenderer(s)), []tea.ProgramOption{tea.WithAltScreen()}
	})(func(ssh.Session) {})(s)
}

func fingerprint(key ssh.PublicKey) string {
	if key == nil {
		return ""
	}
	return gossh.FingerprintSHA256(key)
}

// Serve listens until ctx ends, then closes the sessions.
func Serve(ctx context.Context, srv *ssh.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		if err := <-errc; err != nil && !errors.Is(err, ssh.ErrServerClosed) {
			return err
		}
		return nil
	}
}
