package email_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/shared/testkit/channelfakes"
	"github.com/matih/ops/worker-notify/internal/channel"
	"github.com/matih/ops/worker-notify/internal/email"
)

const password = "smtp-pass-canary-42"

func msg() channel.Message {
	return channel.Message{
		Time: time.Now(), Kind: "quality_issue", Severity: "warning",
		WorkflowID: "pipeline-orders-2026-02-12T06:00:00Z", PipelineID: "orders",
		Title: "Quality issue in pipeline orders needs approval", Summary: "score 0.62 below 0.80",
		Fields: []channel.Field{{Label: "Score", Value: "0.620 (minimum 0.800)"}},
	}
}

func sender(t *testing.T, srv *channelfakes.SMTP, mode, pass string) *email.Sender {
	s, err := email.New(email.Config{
		Host: srv.Host, Port: srv.Port, Mode: mode, Username: "notify", Password: pass,
		From: "matih@example.com", To: []string{"oncall@example.com", "data@example.com"},
		CAFile: srv.CA.CAFile, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendOverSTARTTLSAndTLS(t *testing.T) {
	for _, mode := range []string{email.ModeSTARTTLS, email.ModeTLS} {
		t.Run(mode, func(t *testing.T) {
			srv := channelfakes.NewSMTP(t, mode == email.ModeTLS, "notify", password)
			if err := sender(t, srv, mode, password).Send(context.Background(), msg()); err != nil {
				t.Fatal(err)
			}
			mails := srv.Mails()
			if len(mails) != 1 || len(mails[0].To) != 2 || mails[0].From != "matih@example.com" {
				t.Fatalf("mails %+v", mails)
			}
			data := mails[0].Data
			for _, want := range []string{
				"Subject: [MATIH warning] Quality issue in pipeline orders needs approval",
				"matih status pipeline-orders-2026-02-12T06:00:00Z",
				"Score: 0.620 (minimum 0.800)",
				"Message-ID: <",
			} {
				if !strings.Contains(data, want) {
					t.Errorf("mail lacks %q:\n%s", want, data)
				}
			}
		})
	}
}

func TestFailuresAreClassified(t *testing.T) {
	cases := []struct {
		name      string
		reject    int
		pass      string
		retryable bool
		says      string
	}{
		{"recipient refused 550", 550, password, false, "permanently"},
		{"recipient deferred 451", 451, password, true, "deferred"},
		{"wrong password 535", 0, "wrong-password", false, "535"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := channelfakes.NewSMTP(t, false, "notify", password)
			if c.reject != 0 {
				srv.RejectNextRcpt(c.reject)
			}
			err := sender(t, srv, email.ModeSTARTTLS, c.pass).Send(context.Background(), msg())
			var ce *channel.Error
			if !errors.As(err, &ce) || ce.Retryable != c.retryable || !strings.Contains(ce.Msg, c.says) {
				t.Fatalf("got %#v (%v)", ce, err)
			}
			t.Log(err)
			if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), c.pass) {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}

func TestUntrustedCertificateIsPermanent(t *testing.T) {
	srv := channelfakes.NewSMTP(t, false, "notify", password)
	s, err := email.New(email.Config{Host: srv.Host, Port: srv.Port, Mode: email.ModeSTARTTLS,
		From: "matih@example.com", To: []string{"oncall@example.com"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), msg())
	var ce *channel.Error
	if !errors.As(err, &ce) || ce.Retryable || !strings.Contains(ce.Msg, "--smtp-ca-file") {
		t.Fatalf("got %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	good := email.Config{Host: "smtp.example.com", Port: 587, Mode: "starttls", From: "a@example.com", To: []string{"b@example.com"}}
	bad := map[string]func(*email.Config){
		"--smtp-host":     func(c *email.Config) { c.Host = "" },
		"--smtp-port":     func(c *email.Config) { c.Port = 0 },
		"--smtp-tls":      func(c *email.Config) { c.Mode = "none" },
		"--smtp-to":       func(c *email.Config) { c.To = []string{"not an address"} },
		"--smtp-from":     func(c *email.Config) { c.From = "" },
		"--smtp-username": func(c *email.Config) { c.Password = "x" },
		"--smtp-ca-file":  func(c *email.Config) { c.CAFile = "/nonexistent/ca.pem" },
	}
	if _, err := email.New(good); err != nil {
		t.Fatal(err)
	}
	for flag, mutate := range bad {
		c := good
		mutate(&c)
		if _, err := email.New(c); err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%s: got %v", flag, err)
		}
	}
}
