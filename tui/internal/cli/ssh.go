package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/spf13/pflag"

	"github.com/matih/ops/shared/datadir"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/console"
	"github.com/matih/ops/tui/internal/sshserve"
)

// sshFlags configure `matih serve --ssh`.
type sshFlags struct {
	addr, hostKey, readKeys, operateKeys string
	idle                                 time.Duration
	maxSessions                          int
}

func (f *sshFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.addr, "ssh", "", "also serve the console and its commands over SSH on this address (host:port)")
	fl.StringVar(&f.hostKey, "host-key", "", "the SSH host key, created (ed25519, 0600) on first start (default: ssh_host_ed25519_key in the data directory)")
	fl.StringVar(&f.readKeys, "read-keys", "", "authorized_keys file of the people who may look; each key's comment is its owner's identity")
	fl.StringVar(&f.operateKeys, "operate-keys", "", "authorized_keys file of the people who may also act (approve, reject, cancel)")
	fl.DurationVar(&f.idle, "ssh-idle-timeout", 30*time.Minute, "close an SSH session idle for this long")
	fl.IntVar(&f.maxSessions, "ssh-max-sessions", 50, "the most SSH sessions open at once")
}

// sshCommands are the subcommands an SSH client may run; each runs as the key's
// person, under the key's role.
var sshCommands = map[string]bool{"ls": true, "inbox": true, "status": true, "failures": true, "watch": true, "queues": true, "backfill": true,
	"ping": true, "version": true, "approve": true, "reject": true, "cancel": true}

// sshFlagsAllowed are the only flags an SSH client may pass: none that names a
// server, a credential, a key file or the audit log, which are the server's.
var sshFlagsAllowed = map[string]bool{"o": true, "output": true, "json": true, "limit": true, "status": true, "query": true,
	"reason": true, "yes": true, "since": true, "h": true, "help": true}

// startSSH builds the SSH server and starts listening; serve stops it with ctx.
func (a *App) startSSH(ctx context.Context, f sshFlags) (func() error, error) {
	keys, err := sshserve.LoadKeys(f.readKeys, f.operateKeys)
	if err != nil {
		return nil, usageError{err}
	}
	if f.hostKey == "" {
		f.hostKey = filepath.Join(datadir.Default(), "ssh_host_ed25519_key")
	}
	srv, err := sshserve.New(sshserve.Options{Addr: f.addr, HostKeyPath: f.hostKey, Keys: keys, IdleTimeout: f.idle, MaxSessions: f.maxSessions,
		Console: a.sshConsole, Command: a.sshCommand, Logger: slog.New(slog.NewTextHandler(a.Err, nil)), Audit: a.sshAudit})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return nil, fmt.Errorf("--ssh %s: %w", f.addr, err)
	}
	fmt.Fprintf(a.Err, "matih serve: SSH on %s (host key %s; read keys %s, operate keys %s)\n", ln.Addr(), f.hostKey, dash(f.readKeys), dash(f.operateKeys))
	done := make(chan error, 1)
	go func() { done <- sshserve.Serve(ctx, srv, ln) }()
	return func() error { return <-done }, nil
}

func dash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sshAudit records a session's start or end in the server's audit log.
func (a *App) sshAudit(what string, p sshserve.Person, client string) {
	log := &audit.Log{Path: a.AuditPath}
	if err := log.Append(audit.Entry{Identity: p.Name, Action: what, Session: p.Fingerprint, Client: client, Outcome: "ok"}); err != nil {
		fmt.Fprintln(a.Err, "matih serve: warning: "+err.Error())
	}
}

// asPerson is this server's App acting as the key's person: the server's Temporal
// connection and audit log, the key's identity, read-only unless the key may act.
func (a *App) asPerson(s ssh.Session, p sshserve.Person) *App {
	return &App{In: s, Out: s, Err: s.Stderr(), Identity: p.Name, Conn: a.Conn, AuditPath: a.AuditPath,
		ReadOnly: a.ReadOnly || p.Role != sshserve.RoleOperate, ReadOnlyWhy: readOnlyWhy(a, p)}
}

func readOnlyWhy(a *App, p sshserve.Person) string {
	if p.Role != sshserve.RoleOperate {
		return "the SSH key of " + p.Name + " may only look: it is not in --operate-keys"
	}
	if a.ReadOnly {
		return "the server runs --read-only"
	}
	return ""
}

// sshConsole is the console of one interactive session.
func (a *App) sshConsole(s ssh.Session, p sshserve.Person, r *lipgloss.Renderer) tea.Model {
	sub := a.asPerson(s, p)
	noColor := false
	for _, kv := range s.Environ() {
		if strings.HasPrefix(kv, "NO_COLOR=") {
			noColor = true
		}
	}
	return console.New(&dialingSource{app: sub}, console.Options{ReadOnly: sub.ReadOnly, ReadOnlyWhy: sub.ReadOnlyWhy, Identity: p.Name,
		Audit: &audit.Log{Path: a.AuditPath}, Renderer: r, NoColor: noColor, Server: "ssh " + p.Name + " (" + string(p.Role) + ")",
		// OSC 52 to this session's terminal, as the local console writes it to its own.
		Clipboard: func(text string) error { _, err := osc52.New(text).WriteTo(s); return err }})
}

// sshCommand runs one scriptable command as the key's person and returns its exit
// status, refusing commands and flags an SSH client may not use.
func (a *App) sshCommand(s ssh.Session, p sshserve.Person, args []string) int {
	if err := sshAllowed(args); err != nil {
		fmt.Fprintln(s.Stderr(), "matih: "+err.Error())
		return ExitUsage
	}
	sub := a.asPerson(s, p)
	root := sub.Root()
	// Root binds the flags, which resets what they point at: the server's settings
	// are set again after it, and no client flag can reach them.
	sub.Conn, sub.AuditPath, sub.ReadOnly = a.Conn, a.AuditPath, a.ReadOnly || p.Role != sshserve.RoleOperate
	root.SetArgs(args)
	root.SetIn(s)
	root.SetOut(s)
	root.SetErr(s.Stderr())
	err := root.ExecuteContext(s.Context())
	sub.Close()
	if err != nil {
		printError(s.Stderr(), err, sub.Output == "json" || sub.Output == "jsonl")
	}
	return ExitCode(err)
}

func sshAllowed(args []string) error {
	if !sshCommands[args[0]] {
		return fmt.Errorf("%q is not offered over SSH (offered: ls, inbox, status, backfill, failures, watch, queues, ping, version, approve, reject, cancel)", args[0])
	}
	for _, arg := range args[1:] {
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !sshFlagsAllowed[name] {
			return fmt.Errorf("flag %s is not offered over SSH: the server, credentials and audit log are the server's", strings.SplitN(arg, "=", 2)[0])
		}
	}
	return nil
}
