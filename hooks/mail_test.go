package hooks_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/mailer"

	"madang/hooks"
	"madang/internal/testapp"
)

// silentSMTP listens on 127.0.0.1, accepts every connection and never
// writes: an SMTP server that hangs. It returns its port.
func silentSMTP(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// TestResetPasswordGivesUpOnAHungSMTPServer: with an SMTP server that
// accepts and never answers, `users reset-password` fails after the mail
// timeout with an error naming the server, and the password stays. It used
// to hang forever. Sends still hung past their timeout are bounded: the
// ninth fails at once.
func TestResetPasswordGivesUpOnAHungSMTPServer(t *testing.T) {
	const timeout = 300 * time.Millisecond
	hooks.SetMailTimeout(t, timeout)
	app := testapp.New(t)
	port := silentSMTP(t)
	app.Settings().SMTP.Enabled = true
	app.Settings().SMTP.Host = "127.0.0.1"
	app.Settings().SMTP.Port = port
	// the test app sends to its TestMailer; send to the silent server instead
	app.OnMailerSend().Bind(&hook.Handler[*core.MailerEvent]{
		Func: func(e *core.MailerEvent) error {
			e.Mailer = &mailer.SMTPClient{Host: "127.0.0.1", Port: port}
			return e.Next()
		},
		Priority: -99998, // after the test app's
	})
	server := "127.0.0.1:" + strconv.Itoa(port)

	for i := range 8 { // maxHungMails
		start := time.Now()
		out, err := resetWithin(t, app, timeout+5*time.Second)
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "mailing the reset link to bob@example.com: the SMTP server "+server+
			" did not answer within 300ms (timeout)") {
			t.Fatalf("reset %d: %q, %v", i, out, err)
		}
		if took < timeout || took > timeout+5*time.Second {
			t.Fatalf("reset %d gave up after %s, want about %s", i, took, timeout)
		}
	}
	start := time.Now()
	_, err := resetWithin(t, app, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "8 mails still wait for the SMTP server "+server) || time.Since(start) > timeout {
		t.Fatalf("a ninth reset while 8 hang: %v after %s", err, time.Since(start))
	}
	u, err := app.FindAuthRecordByEmail("users", "bob@example.com")
	if err != nil || !u.ValidatePassword(testapp.Password) {
		t.Fatalf("bob's password changed (%v)", err)
	}
}

// resetWithin runs `users reset-password bob@example.com`, failing the test
// if it has not returned within limit.
func resetWithin(t *testing.T, app core.App, limit time.Duration) (string, error) {
	t.Helper()
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := testapp.RunCLI(t, app, "users", "reset-password", "bob@example.com")
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-time.After(limit):
		t.Fatalf("users reset-password still runs after %s", limit)
		return "", nil
	}
}

// slowSMTP listens on 127.0.0.1 and answers every SMTP command, taking
// delay to accept each mail's data: a slow server that works. It returns
// its port and a count of the mails it accepted.
func slowSMTP(t *testing.T, delay time.Duration) (int, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := new(atomic.Int32)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				fmt.Fprint(c, "220 slow.test ESMTP\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						fmt.Fprint(c, "250 slow.test\r\n")
					case cmd == "DATA":
						fmt.Fprint(c, "354 go on\r\n")
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
						}
						time.Sleep(delay)
						accepted.Add(1)
						fmt.Fprint(c, "250 queued\r\n")
					case cmd == "QUIT":
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "250 ok\r\n")
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, accepted
}

// TestMailBurstToASlowSMTPServerIsSent: a burst of more mails than may
// hang, to an SMTP server that is slow but answers, is sent in full. Until
// 2026-12-04 the bound on hung sends counted every send in progress, and
// the ninth of nine sign-ups' mails failed at once.
func TestMailBurstToASlowSMTPServerIsSent(t *testing.T) {
	hooks.SetMailTimeout(t, 20*time.Second)
	app := testapp.New(t)
	port, accepted := slowSMTP(t, 300*time.Millisecond)
	app.OnMailerSend().Bind(&hook.Handler[*core.MailerEvent]{
		Func: func(e *core.MailerEvent) error {
			e.Mailer = &mailer.SMTPClient{Host: "127.0.0.1", Port: port}
			return e.Next()
		},
		Priority: -99998, // after the test app's
	})
	const burst = 20
	errs := make(chan error, burst)
	for i := range burst {
		go func() {
			errs <- app.NewMailClient().Send(&mailer.Message{
				From:    mail.Address{Address: "no-reply@example.com"},
				To:      []mail.Address{{Address: fmt.Sprintf("member%d@example.com", i)}},
				Subject: "Madang",
				Text:    "welcome",
			})
		}()
	}
	for range burst {
		if err := <-errs; err != nil {
			t.Fatalf("a mail of the burst failed: %v", err)
		}
	}
	if n := accepted.Load(); n != burst {
		t.Fatalf("the SMTP server accepted %d of %d mails", n, burst)
	}
}

// TestEmailChangeMailNotSentIs503: when the confirmation mail of an email
// change cannot be sent, the member gets 503 saying to try again (until
// 2026-12-07 PocketBase's 400 "Failed to request email change."), and the
// email stays; a bad address is still the client's 400, and a sent mail 204.
func TestEmailChangeMailNotSentIs503(t *testing.T) {
	app := testapp.New(t)
	var failing atomic.Bool
	app.OnMailerSend().Bind(&hook.Handler[*core.MailerEvent]{
		Func: func(e *core.MailerEvent) error {
			if failing.Load() {
				return errors.New("dial tcp 127.0.0.1:2525: connection refused")
			}
			return e.Next()
		},
		Priority: -99998, // after the test app's
	})
	base := testapp.Serve(t, app)
	change := func(email string) testapp.Response {
		return testapp.Call(t, http.MethodPost, base+"/api/collections/users/request-email-change", testapp.Token(testapp.Alice),
			map[string]any{"newEmail": email})
	}
	failing.Store(true)
	if r := change("alice.new@example.com"); r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Raw, "could not be sent just now") {
		t.Errorf("a mail that could not be sent: %d %s, want 503", r.Status, r.Raw)
	}
	if r := change("not an address"); r.Status != 400 || !strings.Contains(r.Raw, `"newEmail"`) {
		t.Errorf("a bad address: %d %s, want 400 naming newEmail", r.Status, r.Raw)
	}
	failing.Store(false)
	if r := change("alice.new@example.com"); r.Status != 204 {
		t.Errorf("a sent mail: %d %s, want 204", r.Status, r.Raw)
	}
	if u, _ := app.FindRecordById("users", testapp.ID(testapp.Alice)); u.Email() != testapp.Email(testapp.Alice) {
		t.Errorf("alice's email: %s", u.Email())
	}
}
