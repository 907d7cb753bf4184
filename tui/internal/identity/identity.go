// Package identity says who is acting: user@host, plus the SSH client address when the
// console runs over SSH on a bastion, so approvals and audit lines name a person.
package identity

import (
	"os"
	"os/user"
	"strings"
)

// Current returns "user@host" or "user@host (ssh 10.0.0.5)".
func Current() string {
	return Format(userName(), hostName(), os.Getenv("SSH_CLIENT"), os.Getenv("SSH_CONNECTION"))
}

// Format builds the identity from its parts; SSH_CLIENT is "addr port lport" and
// SSH_CONNECTION "addr port laddr lport": the first field is the client address.
func Format(userName, host, sshClient, sshConnection string) string {
	id := userName + "@" + host
	ssh := sshClient
	if ssh == "" {
		ssh = sshConnection
	}
	if f := strings.Fields(ssh); len(f) > 0 {
		id += " (ssh " + f[0] + ")"
	}
	return id
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
