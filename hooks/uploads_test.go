package hooks_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"madang/hooks"
	"madang/internal/testapp"
)

// sendFiles sends fields and the files (field, name, content) as a
// multipart form.
func sendFiles(t *testing.T, method, url, token string, fields map[string]string, files ...[3]string) testapp.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		fw, err := w.CreateFormFile(f[0], f[1])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f[2]))
	}
	w.Close()
	req, err := http.NewRequest(method, url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return testapp.Do(t, req, token)
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle r="9"/></svg>`

// TestUploadsCannotPassForImagesOrScripts: an avatar is a raster image,
// stored under its format's extension; a file named as a raster image must
// be one; an uploaded script or style sheet is served as text/plain. Until
// 2026-12-07 an SVG avatar, or an SVG attachment named photo.png, froze the
// tabs that drew it, and a GIF-headed script uploaded as an avatar x.js was
// served as text/javascript, loadable past the page's CSP.
func TestUploadsCannotPassForImagesOrScripts(t *testing.T) {
	app := testapp.New(t)
	base := testapp.Serve(t, app)
	alice := testapp.Token(testapp.Alice)
	me := base + userURL(testapp.Alice)
	posts := base + "/api/collections/posts/records"
	post := map[string]string{"board": testapp.ID(testapp.BoardPublic), "title": "photos", "content": "look"}

	snap := testapp.TakeSnapshot(t, app)
	if r := sendFiles(t, http.MethodPatch, me, alice, nil, [3]string{"avatar", "face.svg", svg}); r.Status != 400 || !strings.Contains(r.Raw, `"avatar":{"code":"validation_invalid_mime_type"`) {
		t.Errorf("an SVG avatar: %d %s", r.Status, r.Raw)
	}
	for _, name := range []string{"photo.png", "photo.JPG", "photo.webp"} {
		r := sendFiles(t, http.MethodPost, posts, alice, post, [3]string{"attachments", name, svg})
		if r.Status != 400 || !strings.Contains(r.Raw, `"attachments":{"code":"validation_not_an_image"`) ||
			!strings.Contains(r.Raw, "The file "+name+" is named as a") {
			t.Errorf("an SVG named %s: %d %s", name, r.Status, r.Raw)
		}
	}
	snap.AssertUnchanged(t, app)

	polyglot := "GIF89a\x01\x00\x01\x00\x00\x00\x00;window.PWNED=1;//"
	r := sendFiles(t, http.MethodPatch, me, alice, nil, [3]string{"avatar", "g.js", polyglot})
	avatar, _ := r.Body["avatar"].(string)
	if r.Status != 200 || !strings.HasPrefix(avatar, "g_") || !strings.HasSuffix(avatar, ".gif") {
		t.Fatalf("a GIF named g.js as an avatar: %d %s, want it stored as g_….gif", r.Status, r.Raw)
	}

	r = sendFiles(t, http.MethodPost, posts, alice, post,
		[3]string{"attachments", "app.js", "window.PWNED = 1;"}, [3]string{"attachments", "look.css", "body{display:none}"},
		[3]string{"attachments", "face.png", string(pngBytes(t))}, [3]string{"attachments", "diagram.svg", svg},
		[3]string{"attachments", "notes.txt", "#!/usr/bin/env node\nwindow.PWNED = 1;\n"})
	if r.Status != 200 {
		t.Fatalf("a post with a script, a style sheet, a PNG and an SVG: %d %s", r.Status, r.Raw)
	}
	files, _ := r.Body["attachments"].([]any)
	if len(files) != 5 {
		t.Fatalf("attachments: %v", files)
	}
	token := testapp.Call(t, http.MethodPost, base+"/api/files/token", alice, nil)
	if token.Status != 200 {
		t.Fatalf("a file token: %d %s", token.Status, token.Raw)
	}
	for _, f := range files {
		name := f.(string)
		res, err := http.Get(base + "/api/files/posts/" + r.Body["id"].(string) + "/" + name + "?token=" + token.Body["token"].(string))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		want := map[string]string{".js": "text/plain; charset=utf-8", "css": "text/plain; charset=utf-8", "png": "image/png", "svg": "image/svg+xml",
			"txt": "text/plain; charset=utf-8"}[name[len(name)-3:]] // notes.txt: detected as text/javascript
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != want || res.Header.Get("X-Content-Type-Options") != "nosniff" || len(body) == 0 {
			t.Errorf("%s served %d as %q (nosniff %q), want %q", name, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("X-Content-Type-Options"), want)
		}
	}

	// an SVG avatar named bomb.png, stored before the checks: no <img> draws it
	bob, err := app.FindRecordById("users", testapp.ID(testapp.Bob))
	if err != nil {
		t.Fatal(err)
	}
	bomb, err := filesystem.NewFileFromBytes([]byte(svg), "bomb.png")
	if err != nil {
		t.Fatal(err)
	}
	bob.Set("avatar", bomb)
	if err := app.SaveNoValidate(bob); err != nil {
		t.Fatal(err)
	}
	for _, query := range []string{"", "?thumb=64x64"} {
		res, err := http.Get(base + "/api/files/users/" + bob.Id + "/" + bob.GetString("avatar") + query)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("an SVG avatar named %s%s served %d as %q, want application/octet-stream", bob.GetString("avatar"), query, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

// TestHeadersAreBounded runs the server PocketBase's serve command builds,
// as Madang's serve hooks set it: a request whose headers pass
// MaxHeaderBytes is 431, one within them is answered. Until 2026-12-07 the
// server took 1 MB of headers a connection (2,000 unfinished ones took it
// to 2.84 GB).
func TestHeadersAreBounded(t *testing.T) {
	app := testapp.New(t)
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	server := &http.Server{ReadHeaderTimeout: time.Minute} // as apis.Serve makes it
	err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: router, Server: server}, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		e.Server.Handler = mux
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if server.MaxHeaderBytes != hooks.MaxHeaderBytes || server.ReadHeaderTimeout != hooks.HeaderTimeout || server.IdleTimeout != hooks.IdleTimeout {
		t.Fatalf("server limits: %d bytes, %v, idle %v", server.MaxHeaderBytes, server.ReadHeaderTimeout, server.IdleTimeout)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go server.Serve(listener)
	t.Cleanup(func() { server.Close() })
	for _, c := range []struct {
		size, status int
	}{{8 << 10, 200}, {hooks.MaxHeaderBytes + 8<<10, http.StatusRequestHeaderFieldsTooLarge}} {
		req, err := http.NewRequest(http.MethodGet, "http://"+listener.Addr().String()+"/api/health", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Padding", strings.Repeat("a", c.size))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("a request with %d bytes of headers: %d, want %d", c.size, res.StatusCode, c.status)
		}
	}
}
