package e2e

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/matih/ops/shared/testkit"
)

// countingWriter counts what an SSH session sends its terminal.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n.Add(int64(len(p))); return len(p), nil }

// consoleSession is one person's console over SSH, at 80x24.
type consoleSession struct {
	client  *ssh.Client
	session *ssh.Session
	keys    io.WriteCloser
	out     *countingWriter
}

func openConsole(b *testing.B, addr string, signer ssh.Signer) *consoleSession {
	client, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "oncall", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	s, err := client.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	c := &consoleSession{client: client, session: s, out: &countingWriter{}}
	s.Stdout, s.Stderr = c.out, c.out
	if c.keys, err = s.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	if err := s.RequestPty("xterm-256color", 24, 80, ssh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		b.Fatal(err)
	}
	return c
}

func (c *consoleSession) close() { _ = c.session.Close(); _ = c.client.Close() }

// procStat reads a process's resident memory now and at its peak (MiB), and the CPU
// time it has used (clock ticks of 1/100 s, Linux's USER_HZ).
func procStat(b *testing.B, pid int) (rss, peak float64, ticks int64) {
	now, hwm := testkit.Resident(b, pid)
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:])) // fields from the state on
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return float64(now) / (1 << 20), float64(hwm) / (1 << 20), utime + stime
}

// startSSHServe runs `matih serve --ssh` as its own process, with one operate key,
// and returns its SSH address and process id once it is ready.
func startSSHServe(b *testing.B, matih string, srv *testkit.DevServer, signer ssh.Signer, sessions int) (string, int) {
	dir := b.TempDir()
	keys := filepath.Join(dir, "operate_keys")
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " oncall@matih\n"
	if err := os.WriteFile(keys, []byte(line), 0o600); err != nil {
		b.Fatal(err)
	}
	addr, web := testkit.FreeAddr(b), testkit.FreeAddr(b)
	p := testkit.Start(b, matih, []string{"--address", srv.HostPort, "--namespace", srv.Namespace, "--audit-log", filepath.Join(dir, "audit.log"),
		"serve", "--listen", web, "--ssh", addr, "--operate-keys", keys, "--host-key", filepath.Join(dir, "host_key"),
		"--ssh-max-sessions", strconv.Itoa(sessions + 1)}, nil, dir)
	p.WaitReady(b, web, 20*time.Second) // the SSH listener is up before the HTTP one answers
	return addr, p.Pid()
}

// BenchmarkIdleConsolesOverSSH opens MATIH_BENCH_SSH_SESSIONS consoles (20) over SSH
// at 80x24 on a namespace of MATIH_BENCH_SSH_RUNS running workflows (10,000) and, over
// MATIH_BENCH_SSH_WINDOW seconds (60), counts what each sends while one person moves
// the selection twice a second and the others only watch: the idle sessions' redraw
// traffic (target: under 2 KB/s each over SSH, 100 B/s for the console), the active
// one's, and matih serve's memory and CPU. Run it with scripts/bench.sh console.
func BenchmarkIdleConsolesOverSSH(b *testing.B) {
	runs := testkit.EnvInt(b, "MATIH_BENCH_SSH_RUNS", 10_000, 1)
	n := testkit.EnvInt(b, "MATIH_BENCH_SSH_SESSIONS", 20, 2)
	window := time.Duration(testkit.EnvInt(b, "MATIH_BENCH_SSH_WINDOW", 60, 5)) * time.Second
	matih := buildMatih(b)
	srv := testkit.StartDevServer(b)
	startMany(b, srv.Client, 0, runs)
	seeded := time.Now()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		b.Fatal(err)
	}
	addr, pid := startSSHServe(b, matih, srv, signer, n)
	for i := 0; i < b.N; i++ {
		consoles := make([]*consoleSession, n)
		for j := range consoles {
			consoles[j] = openConsole(b, addr, signer)
		}
		// Durations under a minute tick every second, as they should: measure once the
		// newest run is older than that, and every console has drawn its first screens.
		time.Sleep(max(20*time.Second, time.Until(seeded.Add(70*time.Second))))
		measureConsoles(b, consoles, pid, window)
		for _, c := range consoles {
			c.close()
		}
	}
}

// measureConsoles counts each console's bytes over the window while consoles[0]
// moves its selection, and reports the figures.
func measureConsoles(b *testing.B, consoles []*consoleSession, pid int, window time.Duration) {
	before := make([]int64, len(consoles))
	for j, c := range consoles {
		before[j] = c.out.n.Load()
	}
	_, _, ticks0 := procStat(b, pid)
	start := time.Now()
	keys := []string{"j", "k"}
	for k := 0; time.Since(start) < window; k++ {
		if _, err := io.WriteString(consoles[0].keys, keys[k%2]); err != nil {
			b.Fatalf("the active console stopped taking keys: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	secs := time.Since(start).Seconds()
	rss, peak, ticks1 := procStat(b, pid)
	var idleMax, idleSum float64
	for j, c := range consoles[1:] {
		bps := float64(c.out.n.Load()-before[j+1]) / secs
		idleMax, idleSum = max(idleMax, bps), idleSum+bps
		if c.out.n.Load() == 0 {
			b.Fatalf("console %d never drew", j+1)
		}
	}
	active := float64(consoles[0].out.n.Load()-before[0]) / secs
	if active == 0 {
		b.Fatal("the active console drew nothing for its key presses")
	}
	b.ReportMetric(float64(len(consoles)), "sessions")
	b.ReportMetric(idleMax, "idle-max-B/s")
	b.ReportMetric(idleSum/float64(len(consoles)-1), "idle-mean-B/s")
	b.ReportMetric(active, "active-B/s")
	b.ReportMetric(rss, "serve-rss-MiB")
	b.ReportMetric(peak, "serve-peak-MiB")
	b.ReportMetric(float64(ticks1-ticks0)/secs, "serve-cpu-%")
}
