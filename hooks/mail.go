package hooks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// mailTimeout bounds one mail send, its wait for a free slot included.
// PocketBase's SMTP client (mailyak) dials and reads without a deadline, so
// an SMTP server that accepts and never answers held `madang users
// reset-password` forever, and every password-reset request left a
// goroutine and a connection in the server.
var mailTimeout = 30 * time.Second

// maxHungMails bounds the sends still waiting after their timeout: the
// client cannot be interrupted, so each keeps its goroutine and connection
// until the SMTP server answers or drops it. While this many hang, a send
// fails at once instead of leaving one more behind.
const maxHungMails = 8

// maxSendingMails bounds the sends in progress, hung ones included; a send
// past it waits for a free slot within its timeout. Until 2026-12-04 the
// bound of 8 counted every send in progress, so a burst of nine sign-ups
// to a slow but working SMTP server failed the ninth mail at once.
const maxSendingMails = 32

// registerMailTimeout gives every mail send, through the API, the dashboard
// or the CLI, mailTimeout to finish, then answers with an error naming the
// SMTP server (logged by PocketBase, or printed by the CLI).
func registerMailTimeout(app core.App) {
	app.OnRecordRequestEmailChangeRequest().BindFunc(mailNotSent)
	sending := make(chan struct{}, maxSendingMails)
	var hung atomic.Int32
	app.OnMailerSend().Bind(&hook.Handler[*core.MailerEvent]{
		Id: "madangMailTimeout",
		Func: func(e *core.MailerEvent) error {
			smtp := e.App.Settings().SMTP
			server := net.JoinHostPort(smtp.Host, strconv.Itoa(smtp.Port))
			if n := hung.Load(); n >= maxHungMails {
				return fmt.Errorf("%d mails still wait for the SMTP server %s; check Settings → Mail settings (host, port, TLS)", n, server)
			}
			timeout := mailTimeout
			deadline := time.NewTimer(timeout)
			defer deadline.Stop()
			timedOut := fmt.Errorf("the SMTP server %s did not answer within %s (timeout); check Settings → Mail settings (host, port, TLS)", server, timeout)
			select {
			case sending <- struct{}{}:
			case <-deadline.C:
				return timedOut
			}
			// send is the one send's state: once it is given up on, its
			// goroutine counts as hung until the client returns
			var send struct {
				sync.Mutex
				finished, givenUp bool
			}
			done := make(chan error, 1)
			go func() {
				err := e.Next()
				<-sending
				send.Lock()
				send.finished = true
				if send.givenUp {
					hung.Add(-1)
				}
				send.Unlock()
				done <- err
			}()
			select {
			case err := <-done:
				return err
			case <-deadline.C:
				send.Lock()
				defer send.Unlock()
				if send.finished {
					return <-done
				}
				send.givenUp = true
				hung.Add(1)
				return timedOut
			}
		},
	})
}

// mailNotSent answers an email change whose confirmation mail could not be
// sent (the SMTP server down, refusing, or past mailTimeout) with 503 and a
// sentence saying to try again: PocketBase answered 400 "Failed to request
// email change.", which blames the client (until 2026-12-07). The request's
// own checks come before the send (a 400 naming the field); the send is
// the one thing after them that fails.
func mailNotSent(e *core.RecordRequestEmailChangeRequestEvent) error {
	err := e.Next()
	if refused, ok := errors.AsType[*router.ApiError](err); ok && refused.Status == http.StatusBadRequest && len(refused.Data) == 0 {
		return router.NewApiError(http.StatusServiceUnavailable,
			"The confirmation mail could not be sent just now; try again in a few minutes.", refused.RawData())
	}
	return err
}
