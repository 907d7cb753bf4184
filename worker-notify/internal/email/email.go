// Package email sends notifications over SMTP with STARTTLS or implicit TLS (never in
// clear text), through go-mail.
package email

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/matih/ops/worker-notify/internal/channel"
)

// TLS modes.
const (
	ModeSTARTTLS = "starttls"
	ModeTLS      = "tls"
)

// Config is the SMTP relay and the addresses; Password comes from a secret.
type Config struct {
	Host     string
	Port     int
	Mode     string
	Username string
	Password string
	From     string
	To       []string
	CAFile   string // extra CA to trust, for relays with a private CA
	Timeout  time.Duration
}

// Sender delivers messages through one relay.
type Sender struct {
	cfg Config
	tls *tls.Config
}

// New validates the configuration and loads the CA file.
func New(cfg Config) (*Sender, error) {
	switch {
	case cfg.Host == "":
		return nil, errors.New("--smtp-host: a host name expected")
	case cfg.Port < 1 || cfg.Port > 65535:
		return nil, fmt.Errorf("--smtp-port: 1..65535 expected, got %d", cfg.Port)
	case cfg.Mode != ModeSTARTTLS && cfg.Mode != ModeTLS:
		return nil, fmt.Errorf("--smtp-tls: %q or %q expected, got %q", ModeSTARTTLS, ModeTLS, cfg.Mode)
	case cfg.From == "":
		return nil, errors.New("--smtp-from: a sender address expected")
	case len(cfg.To) == 0:
		return nil, errors.New("--smtp-to: at least one recipient address expected")
	case cfg.Password != "" && cfg.Username == "":
		return nil, errors.New("--smtp-username: required when an SMTP password is set")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--smtp-ca-file: no PEM certificate in %s", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	s := &Sender{cfg: cfg, tls: tc}
	if _, err := s.message(channel.Message{}); err != nil {
		return nil, err
	}
	return s, nil
}

// Send delivers one message to every recipient.
func (s *Sender) Send(ctx context.Context, m channel.Message) error {
	msg, err := s.message(m)
	if err != nil {
		return channel.Permanent(channel.Email, "%v", err)
	}
	c, err := mail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return channel.Permanent(channel.Email, "client: %v", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

func (s *Sender) options() []mail.Option {
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTLSConfig(s.tls), mail.WithTimeout(s.cfg.Timeout)}
	if s.cfg.Mode == ModeTLS {
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	return opts
}

// message builds the mail; its Message-ID is derived from the notification so a mail
// client shows a repeated delivery as one message.
func (s *Sender) message(m channel.Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("--smtp-from: %w", err)
	}
	if err := msg.To(s.cfg.To...); err != nil {
		return nil, fmt.Errorf("--smtp-to: %w", err)
	}
	msg.Subject(fmt.Sprintf("[MATIH %s] %s", m.Severity, m.Title))
	sum := sha256.Sum256([]byte(m.WorkflowID + "\x00" + m.Kind + "\x00" + m.Title))
	msg.SetMessageIDWithValue(hex.EncodeToString(sum[:16]) + "@matih.notify")
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, Body(m))
	return msg, nil
}

// Body is the plain-text mail body.
func Body(m channel.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\n", m.Title, m.Summary)
	fmt.Fprintf(&b, "Workflow: %s\nPipeline: %s\nSeverity: %s\n", m.WorkflowID, m.PipelineID, m.Severity)
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "%s: %s\n", f.Label, f.Value)
	}
	fmt.Fprintf(&b, "\nOpen it in the console:\n\n    %s\n", m.ConsoleCommand())
	return b.String()
}

// classify sorts SMTP failures: 5xx replies and certificate errors are permanent,
// 4xx replies and connection trouble are retried.
func classify(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 {
		return channel.Permanent(channel.Email, "relay refused the message permanently: %v; not retried", err)
	}
	if errors.As(err, &se) && se.IsTemp() {
		return channel.Temporary(channel.Email, 0, "relay deferred the message: %v", err)
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return channel.Permanent(channel.Email, "relay refused permanently (%d %s); not retried", te.Code, te.Msg)
	}
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) {
		return channel.Permanent(channel.Email, "relay certificate not trusted: %v (see --smtp-ca-file); not retried", ce.Err)
	}
	return channel.Temporary(channel.Email, 0, "%v", err)
}
