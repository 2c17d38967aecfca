package hooks

import (
	"fmt"
	"mime"
	"net/http"
	"regexp"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// MaxJSONRecordBody bounds a record write that carries no files.
//
// PocketBase sizes a record route's body limit by the collection's file
// fields — posts allow ten files of 20 MB, so about 232 MB — and decodes a
// JSON body whole: a member's 200 MB content took the server from 128 to
// 892 MB before the 20,000-character limit refused it, and four at once
// 1.5 GB. A write without files needs a fraction of that: the longest text
// a member writes (a post's 20,000 characters) is under 80 KB of JSON.
// Multipart uploads keep PocketBase's limits; superusers (the dashboard)
// are not limited.
const MaxJSONRecordBody = 1 << 20

var jsonRecordBodyLimit = apis.BodyLimit(MaxJSONRecordBody)

var recordWrite = regexp.MustCompile(`^/api/collections/[^/]+/records(/[^/]+)?/?$`)

func registerBodyLimits(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(func(e *core.RequestEvent) error {
			if !isJSONRecordWrite(e.Request) || e.HasSuperuserAuth() {
				return e.Next()
			}
			if size := e.Request.ContentLength; size > MaxJSONRecordBody {
				return router.NewApiError(http.StatusRequestEntityTooLarge, fmt.Sprintf(
					"A record write without files is limited to %d MB of JSON; this one was %.1f MB. "+
						"Send files as multipart/form-data.", MaxJSONRecordBody>>20, float64(size)/(1<<20)), nil)
			}
			// PocketBase's own limit reader (it keeps the body rereadable),
			// for a body sent without a Content-Length
			return jsonRecordBodyLimit.Func(e)
		})
		return e.Next()
	})
}

// isJSONRecordWrite tells whether r writes a record without files: a
// create or update on the records API whose body is not multipart.
func isJSONRecordWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPatch:
	default:
		return false
	}
	if !recordWrite.MatchString(r.URL.Path) {
		return false
	}
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return media != "multipart/form-data"
}
