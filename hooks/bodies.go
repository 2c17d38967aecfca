package hooks

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// MaxJSONBody bounds a request body that carries no files: a record write
// sent as JSON, a sign-in, a realtime subscription, a chat or report
// action.
//
// PocketBase sizes a record route's body limit by the collection's file
// fields — posts allow ten files of 20 MB, so about 232 MB — and every
// other route's at 32 MB, and decodes a JSON body whole: a member's 200 MB
// content took the server from 128 to 892 MB before the 20,000-character
// limit refused it, and four at once 1.5 GB; a guest's 32 MB sign-in was
// decoded whole too. A body without files needs a fraction of that: the
// longest text a member writes (a post's 20,000 characters) is under 80 KB
// of JSON. Multipart uploads keep PocketBase's limits; superusers (the
// dashboard, its collection imports) are not limited.
//
// Two routes keep limits of their own: POST /api/batch (dashboard →
// Settings → Batch, PocketBase's) and an AI job's input (ai's
// maxJobInputBytes, 4 MB, bound on its route).
const MaxJSONBody = 1 << 20

var ownBodyLimit = regexp.MustCompile(`^/api/(batch|ais/[^/]+/infer)/?$`)

func registerBodyLimits(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(func(e *core.RequestEvent) error {
			if !isJSONWrite(e.Request) || e.HasSuperuserAuth() {
				return e.Next()
			}
			size := e.Request.ContentLength
			if size < 0 {
				// sent without a Content-Length (chunked): read up to the
				// limit here, so the answer is the same 413 whether or
				// not the route reads its body
				body, err := io.ReadAll(io.LimitReader(e.Request.Body, MaxJSONBody+1))
				if err != nil {
					return e.BadRequestError("The request body could not be read.", err)
				}
				size = int64(len(body))
				e.Request.Body, e.Request.ContentLength = io.NopCloser(bytes.NewReader(body)), size
			}
			if size > MaxJSONBody {
				return router.NewApiError(http.StatusRequestEntityTooLarge, tooLarge(size), nil)
			}
			return e.Next()
		})
		return e.Next()
	})
}

func tooLarge(size int64) string {
	if size == MaxJSONBody+1 { // read to the limit only
		return fmt.Sprintf("A request without files is limited to %d MB; this one was longer. "+
			"Send files as multipart/form-data.", MaxJSONBody>>20)
	}
	return fmt.Sprintf("A request without files is limited to %d MB; this one was %.1f MB. "+
		"Send files as multipart/form-data.", MaxJSONBody>>20, float64(size)/(1<<20))
}

// isJSONWrite tells whether r sends a body without files to the API: a
// POST, PATCH or PUT under /api/ whose body is not multipart, on a route
// without a limit of its own.
func isJSONWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut:
	default:
		return false
	}
	if !strings.HasPrefix(r.URL.Path, "/api/") || ownBodyLimit.MatchString(r.URL.Path) {
		return false
	}
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return media != "multipart/form-data"
}
