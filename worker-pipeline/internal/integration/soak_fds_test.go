package integration

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fdKinds names a process's open descriptors, counted by kind: a file by its base
// name, a TCP connection by its remote address, anything else (pipes, epoll, Unix
// sockets, listeners) by its kind. When a soak's descriptor floor grows, the kinds
// added say whether a pool grew (one more connection to the object store) or
// something leaks (a file nobody closed). nil when /proc cannot be read.
func fdKinds(pid int) map[string]int {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	remotes := tcpRemotes(pid)
	kinds := map[string]int{}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed since the listing
		}
		kinds[fdKind(target, remotes)]++
	}
	return kinds
}

func fdKind(target string, remotes map[string]string) string {
	switch {
	case strings.HasPrefix(target, "socket:["):
		if remote, ok := remotes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")]; ok {
			return "tcp to " + remote
		}
		return "socket (unix or listening)"
	case strings.HasPrefix(target, "pipe:"):
		return "pipe"
	case strings.HasPrefix(target, "anon_inode:"):
		return target
	}
	return "file " + filepath.Base(target)
}

// tcpRemotes maps the inode of each connected TCP socket in the process's network
// namespace to its remote address ("127.0.0.1:9000"); listeners are left out.
func tcpRemotes(pid int) map[string]string {
	out := map[string]string{}
	for _, table := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] == "0A" { // 0A: listening
				continue
			}
			out[fields[9]] = hexAddr(fields[2])
		}
		f.Close()
	}
	return out
}

// hexAddr reads /proc/net/tcp's "0100007F:2328" as "127.0.0.1:9000"; an IPv6
// address is kept in hex, with its port read.
func hexAddr(s string) string {
	host, port, ok := strings.Cut(s, ":")
	p, err := strconv.ParseUint(port, 16, 16)
	if !ok || err != nil {
		return s
	}
	if len(host) == 8 {
		if v, err := strconv.ParseUint(host, 16, 32); err == nil {
			return fmt.Sprintf("%d.%d.%d.%d:%d", v&0xff, v>>8&0xff, v>>16&0xff, v>>24, p)
		}
	}
	return fmt.Sprintf("[%s]:%d", host, p)
}

// addedKinds is what b holds beyond a, "+N kind" each, sorted.
func addedKinds(a, b map[string]int) string {
	var added []string
	for k, n := range b {
		if d := n - a[k]; d > 0 {
			added = append(added, fmt.Sprintf("+%d %s", d, k))
		}
	}
	sort.Strings(added)
	return strings.Join(added, ", ")
}

// TestDescriptorKindsNameFilesAndConnections reads this test's own descriptors: a
// file it opened is named by its base name and a connection by its remote address.
func TestDescriptorKindsNameFilesAndConnections(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "catalog.db-wal"))
	require.NoError(t, err)
	defer f.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	before := fdKinds(os.Getpid())
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	after := fdKinds(os.Getpid())
	assert.Equal(t, 1, after["file catalog.db-wal"])
	assert.Contains(t, addedKinds(before, after), "+1 tcp to "+ln.Addr().String())
}
