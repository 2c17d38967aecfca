package hooks

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// mailTimeout bounds one mail send. PocketBase's SMTP client (mailyak)
// dials and reads without a deadline, so an SMTP server that accepts and
// never answers held `madang users reset-password` forever, and every
// password-reset request left a goroutine and a connection in the server.
var mailTimeout = 30 * time.Second

// maxHungMails bounds the sends still waiting after their timeout: the
// client cannot be interrupted, so each keeps its goroutine and connection
// until the SMTP server answers or drops it. Past this many, a send fails
// at once instead of leaving one more behind.
const maxHungMails = 8

// registerMailTimeout gives every mail send, through the API, the dashboard
// or the CLI, mailTimeout to finish, then answers with an error naming the
// SMTP server (logged by PocketBase, or printed by the CLI).
func registerMailTimeout(app core.App) {
	sending := make(chan struct{}, maxHungMails)
	app.OnMailerSend().Bind(&hook.Handler[*core.MailerEvent]{
		Id: "madangMailTimeout",
		Func: func(e *core.MailerEvent) error {
			smtp := e.App.Settings().SMTP
			server := net.JoinHostPort(smtp.Host, strconv.Itoa(smtp.Port))
			select {
			case sending <- struct{}{}:
			default:
				return fmt.Errorf("%d mails still wait for the SMTP server %s; check Settings → Mail settings (host, port, TLS)", maxHungMails, server)
			}
			done := make(chan error, 1)
			go func() {
				defer func() { <-sending }()
				done <- e.Next()
			}()
			timeout := mailTimeout
			select {
			case err := <-done:
				return err
			case <-time.After(timeout):
				return fmt.Errorf("the SMTP server %s did not answer within %s (timeout); check Settings → Mail settings (host, port, TLS)", server, timeout)
			}
		},
	})
}
