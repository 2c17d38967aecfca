package hooks

import (
	"bytes"
	"encoding/json/jsontext"
	"encoding/json/v2"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

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

// MaxHeaderBytes bounds a request's headers (Go adds 4 KB of slack; a
// longer request is 431), and HeaderTimeout how long a client may take to
// send them. PocketBase's server keeps Go's 1 MB and gives a minute: on
// 2026-12-07 2,000 connections from one address, each sending 1 MB of
// headers and never the blank line that ends them, took the server from
// 55 MB to 2.84 GB, and it kept 2.6 GB ten minutes later. Madang's clients
// send a token of a few hundred bytes and no cookies.
const (
	MaxHeaderBytes = 32 << 10
	HeaderTimeout  = 10 * time.Second
	// IdleTimeout closes a keep-alive connection no request came on for
	// that long (PocketBase's server: its 5-minute read timeout).
	IdleTimeout = 90 * time.Second
)

// registerBodyLimits binds checkBody to every route and sets the server's
// header limits.
func registerBodyLimits(app core.App) {
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if e.Server != nil { // nil in tests that build the router only
			e.Server.MaxHeaderBytes = MaxHeaderBytes
			e.Server.ReadHeaderTimeout = HeaderTimeout
			e.Server.IdleTimeout = IdleTimeout
		}
		e.Router.BindFunc(checkBody)
		return e.Next()
	})
}

// checkBody holds a body without files to MaxJSONBody (see there) and a
// JSON body, everyone's on every route, to exactly one JSON object: 400
// naming the problem, before any route reads it.
//
// PocketBase decodes a JSON body's first value and ignores the rest, so
// until 2026-12-03 `{"all":true}NOT JSON` marked every notification read,
// and `{"title":"a"}{"title":"b"}` saved "a"; a body it could not decode
// at all was answered "Something went wrong while processing your
// request." One validity pass over the bytes is the cost (a chat message's
// body is about 100 bytes).
func checkBody(e *core.RequestEvent) error {
	if !isAPIWrite(e.Request) {
		return e.Next()
	}
	limited := !ownBodyLimit.MatchString(e.Request.URL.Path) && !e.HasSuperuserAuth()
	if isMultipart(e.Request) {
		if limited {
			if err := checkForm(e); err != nil {
				return err
			}
		}
		return e.Next()
	}
	if limited && e.Request.ContentLength > MaxJSONBody {
		return router.NewApiError(http.StatusRequestEntityTooLarge, tooLarge(e.Request.ContentLength), nil)
	}
	unread := e.Request.ContentLength != 0 && !readableBody(e.Request)
	isJSON := strings.HasPrefix(e.Request.Header.Get("Content-Type"), "application/json") // as PocketBase's BindBody
	if e.Request.ContentLength == 0 || !isJSON && !(limited && e.Request.ContentLength < 0) {
		return explainUnread(e, unread, e.Next())
	}
	// read here, JSON or sent without a Content-Length (chunked): the
	// answer is then the same 413 whether or not the route reads its body
	var reader io.Reader = e.Request.Body
	if limited {
		reader = io.LimitReader(reader, MaxJSONBody+1)
	}
	body, err := io.ReadAll(reader)
	if err != nil {
		if apiErr, ok := errors.AsType[*router.ApiError](err); ok {
			return apiErr // a route's own limit (PocketBase's BodyLimit)
		}
		return e.BadRequestError("The request body could not be read.", err)
	}
	if limited && len(body) > MaxJSONBody {
		return router.NewApiError(http.StatusRequestEntityTooLarge, tooLarge(int64(len(body))), nil)
	}
	if isJSON && len(body) > 0 {
		if problem := jsonBodyProblem(body); problem != "" {
			return e.BadRequestError(problem, nil)
		}
	}
	e.Request.Body = &readBody{bytes.NewReader(body)}
	e.Request.ContentLength = int64(len(body))
	return explainUnread(e, unread, undecodable(e, body, e.Next()))
}

// undecodable names what of a valid JSON body PocketBase's decoder
// refused — a number no float64 holds (1e309), or a value of the wrong
// kind for a route's own body (a subscription's "subscriptions" sent as
// a string) — where it answered "Something went wrong while processing
// your request." Asked only of a failed request, so a body is not walked
// twice; the error is taken for the body's only when the body holds a
// value of its kind where it points. Decoding comes before anything is
// written.
func undecodable(e *core.RequestEvent, body []byte, err error) error {
	if err == nil {
		return nil
	}
	cause := err
	if apiErr, ok := errors.AsType[*router.ApiError](err); ok {
		if raw, ok := apiErr.RawData().(error); ok {
			cause = raw
		}
	}
	semantic, ok := errors.AsType[*json.SemanticError](cause)
	if !ok || semantic.JSONPointer == "" {
		return err
	}
	value, found := valueAt(body, semantic.JSONPointer)
	if !found || value.Kind() != semantic.JSONKind {
		return err
	}
	field := fmt.Sprintf("%q", strings.TrimPrefix(string(semantic.JSONPointer), "/"))
	if value.Kind() == '0' && errors.Is(semantic.Err, strconv.ErrRange) {
		return e.BadRequestError(fmt.Sprintf("The number %s sent for %s is out of range: a number must lie within ±1.8e308.",
			value, field), nil)
	}
	want := goKindName(semantic.GoType)
	if want == "" {
		return err
	}
	return e.BadRequestError(fmt.Sprintf("Send %s for %s, not %s.", want, field, kindName[value.Kind()]), nil)
}

// valueAt is the value of body at ptr, if there is one.
func valueAt(body []byte, ptr jsontext.Pointer) (jsontext.Value, bool) {
	value := jsontext.Value(body)
	for name := range ptr.Tokens() {
		switch value.Kind() {
		case '{':
			var fields map[string]jsontext.Value
			if json.Unmarshal(value, &fields) != nil {
				return nil, false
			}
			if value = fields[name]; value == nil {
				return nil, false
			}
		case '[':
			var items []jsontext.Value
			i, err := strconv.Atoi(name)
			if json.Unmarshal(value, &items) != nil || err != nil || i < 0 || i >= len(items) {
				return nil, false
			}
			value = items[i]
		default:
			return nil, false
		}
	}
	return value, true
}

// goKindName says what a Go type holds, in a client's words; "" for a
// type without such a word.
func goKindName(t reflect.Type) string {
	if t == nil {
		return ""
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return ""
}

// readBody is a body read whole, for the route to read again as often as
// it needs: like PocketBase's router.RereadableReadCloser, it starts over
// after its end or when told to (router.Rereader).
type readBody struct{ *bytes.Reader }

func (b *readBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF {
		b.Reread()
	}
	return n, err
}

func (b *readBody) Reread() { b.Seek(0, io.SeekStart) }

func (b *readBody) Close() error { return nil }

// jsonBodyProblem says, in a sentence for the client, what keeps body
// from being exactly one JSON object (or null, which PocketBase reads as
// no fields) as PocketBase's decoder reads JSON (no duplicate names, valid
// UTF-8); "" when nothing does.
func jsonBodyProblem(body []byte) string {
	if jsontext.Value(body).IsValid() {
		switch kind := jsontext.Value(body).Kind(); kind {
		case '{', 'n':
			return ""
		default:
			return "The request body must be a JSON object, not " + kindName[kind] + "."
		}
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	var problem string
	switch _, err := dec.ReadValue(); {
	case err == io.EOF:
		problem = "it is empty"
	case err != nil:
		problem = strings.TrimPrefix(err.Error(), "jsontext: ")
	default:
		problem = fmt.Sprintf("more follows its first value, after byte %d", dec.InputOffset())
	}
	return "The request body is not valid JSON: " + problem + ". Send one JSON object."
}

var kindName = map[jsontext.Kind]string{'"': "a string", '0': "a number", 't': "a boolean", 'f': "a boolean", '[': "an array", '{': "an object", 'n': "null"}

func tooLarge(size int64) string {
	if size == MaxJSONBody+1 { // read to the limit only
		return fmt.Sprintf("A request without files is limited to %d MB; this one was longer. "+
			"Send files as multipart/form-data.", MaxJSONBody>>20)
	}
	return fmt.Sprintf("A request without files is limited to %d MB; this one was %.1f MB. "+
		"Send files as multipart/form-data.", MaxJSONBody>>20, float64(size)/(1<<20))
}

// isAPIWrite tells whether r sends a body to the API: a POST, PATCH or PUT
// under /api/.
func isAPIWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut:
		return strings.HasPrefix(r.URL.Path, "/api/")
	}
	return false
}

// readableBody tells whether r's body is of a type PocketBase's BindBody
// reads into a route's fields: JSON or a form (by the type's start, as
// written).
func readableBody(r *http.Request) bool { return readableType(r.Header.Get("Content-Type")) }

func readableType(t string) bool {
	return strings.HasPrefix(t, "application/json") || strings.HasPrefix(t, "multipart/form-data") ||
		strings.HasPrefix(t, "application/x-www-form-urlencoded")
}

// explainUnread answers 415 naming the type sent and the ones read in
// place of PocketBase's own refusal of unread, a body readableBody does
// not read, for its type (a route's own wording is kept):
// until 2026-12-07 an XML body was "Something went wrong while processing
// your request." (PocketBase decodes XML into no route's fields) and a
// text/plain one "Unsupported Content-Type.", naming neither. A route
// that reads no body answers as it did, whatever was sent (a file token,
// a chat ticket).
func explainUnread(e *core.RequestEvent, unread bool, err error) error {
	if !unread || err == nil {
		return err
	}
	// PocketBase's own answers only: a route that words its refusal keeps it
	apiErr, isAPI := errors.AsType[*router.ApiError](err)
	if !isAPI || apiErr.Status != http.StatusBadRequest || len(apiErr.Data) > 0 ||
		apiErr.Message != "Unsupported Content-Type." && apiErr.Message != "Something went wrong while processing your request." {
		return err
	}
	t := e.Request.Header.Get("Content-Type")
	sent := "no Content-Type"
	if t = strings.TrimSpace(t); t != "" {
		sent = fmt.Sprintf("Content-Type %q", t)
	}
	hint := ""
	if lower := strings.ToLower(t); lower != t && readableType(lower) {
		hint = " (in lower case: the type is read as written)"
	}
	return router.NewApiError(http.StatusUnsupportedMediaType, "The request body was sent with "+sent+
		", which is not read here; send JSON (Content-Type: application/json) or a form (multipart/form-data, "+
		"application/x-www-form-urlencoded)"+hint+".", nil)
}

// isMultipart tells whether r's Content-Type is multipart/form-data, as
// PocketBase's BindBody decides it (by its start).
func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

// MaxFormText bounds the text fields of a multipart body (its parts
// without a file), together: what a body without files may carry
// (MaxJSONBody). Go's form parser, which PocketBase runs with 16 MB of
// memory, holds a form's text fields in memory up to 26 MB before it
// refuses them, and PocketBase keeps its own copy of the body read so far:
// until 2026-12-07 forty guests' posts with a 30 MB text field each,
// refused only then, took the server from 136 MB to 3 GB, and it kept
// most of it.
const MaxFormText = MaxJSONBody

// checkForm reads a multipart body once as it streams, before any route
// parses it, keeping nothing of it: text fields past MaxFormText are a 413
// as soon as they are read that far, and a body that is no multipart form
// a 400 naming the problem (PocketBase answered "Something went wrong
// while processing your request."). Files stream through. The route then
// parses the body from PocketBase's copy of it (router.RereadableReadCloser:
// memory, then a temporary file, as for every body); a body that cannot
// be read twice is left to the route.
func checkForm(e *core.RequestEvent) error {
	rereader, ok := e.Request.Body.(router.Rereader)
	if !ok {
		return nil
	}
	_, params, err := mime.ParseMediaType(e.Request.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return e.BadRequestError("The request body is multipart/form-data without a boundary in its Content-Type.", nil)
	}
	form := multipart.NewReader(e.Request.Body, params["boundary"])
	var text int64
	for {
		part, err := form.NextPart() // reads past the part before: a file streams through
		if err == io.EOF {
			break
		}
		if err != nil {
			return formError(e, err)
		}
		if part.FormName() == "" || part.FileName() != "" {
			continue // Go's parser skips the first and stores the second as a file
		}
		n, err := io.Copy(io.Discard, io.LimitReader(part, MaxFormText-text+1))
		if text += n; text > MaxFormText {
			return router.NewApiError(http.StatusRequestEntityTooLarge, fmt.Sprintf(
				"The text fields of a form are limited to %d MB together; send long text as a file.", MaxFormText>>20), nil)
		}
		if err != nil {
			return formError(e, err)
		}
	}
	// to its end, where PocketBase's copy starts over for the route
	if _, err := io.Copy(io.Discard, e.Request.Body); err != nil {
		return formError(e, err)
	}
	rereader.Reread() // the body limit's count too
	return nil
}

func formError(e *core.RequestEvent, err error) error {
	if apiErr, ok := errors.AsType[*router.ApiError](err); ok {
		return apiErr // the route's own limit (PocketBase's BodyLimit)
	}
	return e.BadRequestError("The request body is not a valid multipart/form-data body: "+err.Error()+".", nil)
}
