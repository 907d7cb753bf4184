package channelfakes

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one accepted message.
type Mail struct {
	From string
	To   []string
	Data string
}

// SMTP is an SMTP server (go-smtp) offering STARTTLS, or implicit TLS, with AUTH
// PLAIN after TLS. RejectRcpt scripts RCPT answers: 550 (permanent) or 451 (temporary).
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	CA       *TestCA

	mu         sync.Mutex
	mails      []Mail
	rejectRcpt []int
}

// NewSMTP starts a server; implicitTLS selects TLS-on-connect instead of STARTTLS.
func NewSMTP(t testing.TB, implicitTLS bool, username, password string) *SMTP {
	t.Helper()
	s := &SMTP{Host: "127.0.0.1", Username: username, Password: password, CA: NewTestCA(t)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.CA.Server}}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var ln net.Listener
	var err error
	if implicitTLS {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// RejectNextRcpt makes the next RCPT commands answer these SMTP codes.
func (s *SMTP) RejectNextRcpt(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectRcpt = append(s.rejectRcpt, codes...)
}

// Mails are the accepted messages.
func (s *SMTP) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

type session struct {
	srv    *SMTP
	authed bool
	mail   Mail
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != se.srv.Username || pass != se.srv.Password {
			return smtp.ErrAuthFailed
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.srv.Username != "" && !se.authed {
		return smtp.ErrAuthRequired
	}
	se.mail = Mail{From: from}
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.srv.mu.Lock()
	var code int
	if len(se.srv.rejectRcpt) > 0 {
		code, se.srv.rejectRcpt = se.srv.rejectRcpt[0], se.srv.rejectRcpt[1:]
	}
	se.srv.mu.Unlock()
	switch code {
	case 550:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	case 451:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	se.mail.To = append(se.mail.To, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(se.mail.To) == 0 {
		return errors.New("no recipients")
	}
	se.mail.Data = string(b)
	se.srv.mu.Lock()
	se.srv.mails = append(se.srv.mails, se.mail)
	se.srv.mu.Unlock()
	return nil
}

func (se *session) Reset()        { se.mail = Mail{} }
func (se *session) Logout() error { return nil }
