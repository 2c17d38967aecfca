package hooks

import (
	"errors"
	"log/slog"
	"net/http"
	"syscall"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// registerStorageFailures makes a failing disk answer 503 "try again"
// instead of PocketBase's 400 "Failed to create record.", which a client
// cannot tell from a refusal and would not retry. The cause goes to the
// server's log.
func registerStorageFailures(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "madangStorageFailures",
			Priority: apis.DefaultActivityLoggerMiddlewarePriority + 1, // inside the logger: it logs the 503
			Func: func(e *core.RequestEvent) error {
				err := e.Next()
				if err == nil || !storageFailure(err) {
					return err
				}
				e.App.Logger().Error("storage failure: answered 503",
					slog.String("url", e.Request.URL.Path), slog.String("method", e.Request.Method), slog.String("error", cause(err).Error()))
				return router.NewApiError(http.StatusServiceUnavailable,
					"The server cannot store data right now (its disk is full or failing). Nothing was saved; please try again in a few minutes.", nil)
			},
		})
		return e.Next()
	})
}

// cause is the error under an API error, when it carries one.
func cause(err error) error {
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		if raw, ok := apiErr.RawData().(error); ok {
			return raw
		}
	}
	return err
}

// storageFailure tells whether err comes from a full or failing disk:
// SQLite's "database or disk is full", I/O and cannot-open errors, or the
// file system's no-space, quota and I/O errors (attachments).
func storageFailure(err error) bool {
	err = cause(err)
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		switch sqliteErr.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
			return true
		}
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EIO)
}
