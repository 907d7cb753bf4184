package testkit

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var builds sync.Map // import path -> *built

type built struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// Build compiles the command at import path pkg once per test binary (from the
// repository root, so go.work resolves every module) and returns the binary. The
// binary lives at .data/testbin/<name> under the root, one file per command however
// many test runs there are: a temporary folder per run would be left behind by every
// test binary, since Go has no hook at a test binary's exit. Test binaries of other
// packages build the same command at once, so each writes its own file and renames it
// into place; a program already started from the old file keeps running.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(pkg, &built{})
	b := v.(*built)
	b.once.Do(func() {
		root := RepoRoot(t)
		dir := filepath.Join(root, ".data", "testbin")
		if b.err = os.MkdirAll(dir, 0o755); b.err != nil {
			return
		}
		b.path = filepath.Join(dir, filepath.Base(pkg))
		tmp := fmt.Sprintf("%s.building-%d", b.path, os.Getpid())
		cmd := exec.Command("go", "build", "-o", tmp, pkg)
		cmd.Dir = root
		if b.out, b.err = cmd.CombinedOutput(); b.err != nil {
			_ = os.Remove(tmp)
			return
		}
		b.err = os.Rename(tmp, b.path)
	})
	if b.err != nil {
		t.Fatalf("testkit: build %s: %v\n%s", pkg, b.err, b.out)
	}
	return b.path
}

// Process is a program a test started. It is killed when the test ends.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs bin with args, the extra env on top of the test's environment, and its
// output in a log file in logDir.
func Start(t testing.TB, bin string, args, env []string, logDir string) *Process {
	t.Helper()
	return StartIn(t, "", bin, args, env, logDir)
}

// StartIn is Start with the process's working directory set to dir, so a test can
// prove a program does not depend on where it is started.
func StartIn(t testing.TB, dir, bin string, args, env []string, logDir string) *Process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.CreateTemp(logDir, filepath.Base(bin)+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("testkit: start %s: %v", bin, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(p.Kill)
	return p
}

// WaitReady waits until the process answers 200 on http://addr/readyz.
func (p *Process) WaitReady(t testing.TB, addr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("testkit: %s exited before it was ready", p.cmd.Path)
		default:
		}
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("testkit: %s not ready on %s within %s", p.cmd.Path, addr, within)
}

// Stop sends SIGTERM, as a rolling deploy does, and waits for the process to exit.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
}

// Pid is the process id, which the worker's Temporal identity names.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Process) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}
