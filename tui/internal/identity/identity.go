// Package identity says who is acting in a local matih: user@host, plus the SSH client
// address when it runs in an SSH login on a bastion. Both are what the machine's
// account and environment say, which anyone with a shell there can set, so the
// identity is labelled unverified wherever it is recorded; `matih serve --ssh`, where
// the key is the person, is the verified way.
package identity

import (
	"os"
	"os/user"
	"strings"
)

// Current returns "user@host (local, unverified)" or
// "user@host (local, unverified; ssh 10.0.0.5)".
func Current() string {
	return Format(userName(), hostName(), os.Getenv("SSH_CLIENT"), os.Getenv("SSH_CONNECTION"))
}

// Format builds the identity from its parts; SSH_CLIENT is "addr port lport" and
// SSH_CONNECTION "addr port laddr lport": the first field is the client address.
func Format(userName, host, sshClient, sshConnection string) string {
	id := userName + "@" + host + " (local, unverified"
	ssh := sshClient
	if ssh == "" {
		ssh = sshConnection
	}
	if f := strings.Fields(ssh); len(f) > 0 {
		id += "; ssh " + f[0]
	}
	return id + ")"
}

func userName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}

func hostName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown-host"
}
