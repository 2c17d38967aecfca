package hooks

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the formats PocketBase makes thumbnails of
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	_ "golang.org/x/image/webp"

	"madang/internal/imagemeta"
	"madang/internal/jpegmeta"
)

// MaxImagePixels bounds the images Madang stores and makes thumbnails of:
// 50 megapixels, above a 48 MP phone photo (8000×6000).
//
// PocketBase decodes a whole image to make a thumbnail, at 4 bytes a
// pixel, and the cost follows the pixels, not the file's size: a 560 KB
// PNG of 12000×12000 took the server from 181 to 735 MB for one ?thumb=
// request, and its three sizes at once to 2.4 GB and 32 s of CPU
// (2026-12-03); a 3.5 MB PNG of 30000×30000 passes the 20 MB file limit.
const MaxImagePixels = 50_000_000

func registerImageLimits(app core.App) {
	app.OnRecordValidate().BindFunc(checkNewFiles)
	app.OnFileDownloadRequest().BindFunc(noScriptTypes)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(noThumbOfHugeImages)
		return e.Next()
	})
}

// checkNewFiles names, on every save, each newly attached file of any
// file field by its writer's name (storedFileName), and refuses, 400
// naming the field:
//   - an image of more than MaxImagePixels;
//   - a file named as a raster image (imageExtensions) that is none: the
//     web client draws such a file as an image (a post's attachments), and
//     PocketBase, unable to make its thumbnail, served the original under
//     its real type — until 2026-12-07 an SVG of nested <use> elements
//     named photo.png froze every member's tab on the post's page.
//
// A field that takes images only (an avatar) stores an image under its
// format's extension: the avatar check reads the content, so a GIF header
// followed by JavaScript, uploaded as x.js, was stored and served as
// text/javascript, a script any page of the site could load past its
// Content-Security-Policy.
func checkNewFiles(e *core.RecordEvent) error {
	for _, field := range e.Record.Collection().Fields {
		file, ok := field.(*core.FileField)
		if !ok {
			continue
		}
		for _, f := range e.Record.GetUnsavedFiles(field.GetName()) {
			f.Name = storedFileName(f)
			r, err := f.Reader.Open()
			if err != nil {
				return err
			}
			w, h, format, isImage := imageSize(r)
			r.Close()
			if isImage && w*h > MaxImagePixels {
				return validation.Errors{field.GetName(): validation.NewError("validation_image_too_large",
					fmt.Sprintf("The image %s is %d×%d pixels; at most %d megapixels are allowed.",
						f.OriginalName, w, h, MaxImagePixels/1_000_000))}
			}
			ext := strings.ToLower(path.Ext(f.Name))
			if _, named := imageExtensions[ext]; named && !isImage {
				return validation.Errors{field.GetName(): validation.NewError("validation_not_an_image",
					fmt.Sprintf("The file %s is named as a %s image but is none; send it under its own extension.",
						f.OriginalName, strings.ToUpper(strings.TrimPrefix(ext, "."))))}
			}
			if isImage && imagesOnly(file) && imageExtensions[ext] != format {
				f.Name = strings.TrimSuffix(f.Name, path.Ext(f.Name)) + formatExtensions[format]
			}
			if _, strippable := metadataStrippers[format]; isImage && strippable {
				if err := stripPhoto(f, format, w, h); err != nil {
					return validation.Errors{field.GetName(): validation.NewError("validation_unreadable_photo",
						fmt.Sprintf("The photo %s could not be read (%v); save it again (or as %s) and send that.",
							f.OriginalName, err, saveAgainAs[format]))}
				}
			}
		}
	}
	return sentNamesInErrors(e.Record, e.Next())
}

// sentNamesInErrors names a refused file as it was sent: PocketBase's type
// check names the file it would have stored ("내사진_d8pvybky56.svg" mime
// type must be one of …), a name its sender never saw.
func sentNamesInErrors(record *core.Record, err error) error {
	var errs validation.Errors
	if !errors.As(err, &errs) {
		return err
	}
	for name, fieldErr := range errs {
		var problem validation.Error
		if !errors.As(fieldErr, &problem) || problem.Code() != "validation_invalid_mime_type" {
			continue
		}
		for _, f := range record.GetUnsavedFiles(name) {
			stored := fmt.Sprintf("%q", f.Name)
			if strings.Contains(problem.Message(), stored) {
				errs[name] = problem.SetMessage(strings.Replace(problem.Message(), stored, fmt.Sprintf("%q", f.OriginalName), 1))
				break
			}
		}
	}
	return err
}

// stripPhoto stores a photo without what it says besides its picture,
// with its pixels, colour profile and animation as sent:
//   - a JPEG by jpegmeta.Strip: the GPS position, the camera and its
//     owner, XMP and IPTC, comments, appended images (its orientation
//     kept);
//   - a PNG by imagemeta.StripPNG: eXIf, text chunks (author, software,
//     comments), tIME and private chunks;
//   - a WebP by imagemeta.StripWebP: EXIF, XMP and unknown chunks.
//
// Until 2026-12-07 a photo was stored as sent: a camera's file kept where
// it was taken, on anonymous boards too; until 2026-12-08 PNG and WebP
// were stored as sent (a phone's or an editor's PNG kept its eXIf, GPS
// position included, and its text chunks). A GIF is stored as sent. The
// result must still read as the same w×h image of the same format, or the
// upload is refused.
func stripPhoto(f *filesystem.File, format string, w, h int) error {
	r, err := f.Reader.Open()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return err
	}
	out, stripped, err := metadataStrippers[format](data)
	if err != nil || !stripped {
		return err
	}
	config, decoded, err := image.DecodeConfig(bytes.NewReader(out))
	if err != nil || decoded != format || config.Width != w || config.Height != h {
		return fmt.Errorf("its metadata could not be taken out: %v", cmp.Or(err, errors.New("the picture changed")))
	}
	f.Reader = &filesystem.BytesReader{Bytes: out}
	f.Size = int64(len(out))
	return nil
}

// metadataStrippers take an image's metadata out, by the format
// image.DecodeConfig names.
var metadataStrippers = map[string]func(data []byte) (out []byte, stripped bool, err error){
	"jpeg": jpegmeta.Strip,
	"png":  imagemeta.StripPNG,
	"webp": imagemeta.StripWebP,
}

// saveAgainAs is the format an uploader can send instead of a photo whose
// metadata could not be taken out.
var saveAgainAs = map[string]string{"jpeg": "PNG", "png": "JPEG", "webp": "PNG"}

// imageExtensions are the extensions the web client draws as images, with
// the format image.DecodeConfig names for each.
var imageExtensions = map[string]string{".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".webp": "webp"}

// formatExtensions is the extension an image of each format is stored under.
var formatExtensions = map[string]string{"png": ".png", "jpeg": ".jpg", "gif": ".gif", "webp": ".webp"}

// imagesOnly tells whether field takes images only.
func imagesOnly(field *core.FileField) bool {
	return len(field.MimeTypes) > 0 && !slices.ContainsFunc(field.MimeTypes, func(t string) bool { return !strings.HasPrefix(t, "image/") })
}

// noScriptTypes serves an uploaded file under a type no page of the site
// can run, apply or draw as what it is not:
//   - a script or a style sheet, by its extension (.js, .mjs, .cjs, .css:
//     PocketBase serves them as text/javascript and text/css whatever the
//     content) or by the type PocketBase detected at upload (a notes.txt
//     starting #!/usr/bin/env node is text/javascript), as text/plain: any
//     member's attachment x.js was a script every page of the site could
//     load past its Content-Security-Policy (script-src 'self'); the
//     attachment's Content-Disposition does not stop a <script src>. With
//     nosniff, a browser runs no script and applies no style sheet served
//     as text/plain;
//   - an SVG under another name (photo.png, an avatar stored before
//     1795900903) as application/octet-stream, which no <img> draws: an
//     SVG of nested <use> elements froze every tab that drew it. An .svg
//     is still image/svg+xml, downloaded (PocketBase's attachment
//     disposition and sandbox).
//
// A download still saves the file as sent.
func noScriptTypes(e *core.FileDownloadRequestEvent) error {
	ext := strings.ToLower(path.Ext(e.ServedPath))
	switch ext {
	case ".js", ".mjs", ".cjs", ".css":
		e.Response.Header().Set("Content-Type", "text/plain; charset=utf-8")
		return e.Next()
	}
	if strings.Contains(e.ServedPath, "/thumbs_") {
		return e.Next() // a thumbnail PocketBase made: a raster image
	}
	fsys, err := e.App.NewFilesystem()
	if err != nil {
		return e.Next() // PocketBase answers what it can serve
	}
	attrs, err := fsys.Attributes(e.ServedPath) // one read of the upload's attributes (a HEAD on S3)
	fsys.Close()
	if err != nil {
		return e.Next()
	}
	switch detected, _, _ := mime.ParseMediaType(attrs.ContentType); {
	case scriptTypes[detected]:
		e.Response.Header().Set("Content-Type", "text/plain; charset=utf-8")
	case detected == "image/svg+xml" && ext != ".svg":
		e.Response.Header().Set("Content-Type", "application/octet-stream")
	}
	return e.Next()
}

// scriptTypes are the detected types a browser runs or applies from a
// same-origin URL.
var scriptTypes = map[string]bool{
	"text/javascript": true, "application/javascript": true, "application/x-javascript": true,
	"text/ecmascript": true, "application/ecmascript": true, "text/jscript": true, "text/css": true,
}

// noThumbOfHugeImages serves the original instead of making a thumbnail
// of an image of more than MaxImagePixels (one stored before the limit):
// it drops ?thumb= from a file request whose thumbnail does not exist yet.
// It reads the original's header only, and only then.
func noThumbOfHugeImages(e *core.RequestEvent) error {
	if e.Request.Method != http.MethodGet || !strings.Contains(e.Request.URL.RawQuery, "thumb=") {
		return e.Next() // every other request: no query parsed
	}
	size := e.Request.URL.Query().Get("thumb")
	if size == "" {
		return e.Next()
	}
	parts := strings.Split(strings.TrimPrefix(e.Request.URL.Path, "/api/files/"), "/")
	if len(parts) != 3 || !strings.HasPrefix(e.Request.URL.Path, "/api/files/") {
		return e.Next()
	}
	collection, err := e.App.FindCachedCollectionByNameOrId(parts[0])
	if err != nil || collection.IsView() {
		return e.Next()
	}
	base := collection.Id + "/" + parts[1] + "/"
	fsys, err := e.App.NewFilesystem()
	if err != nil {
		return e.Next()
	}
	defer fsys.Close()
	if ok, _ := fsys.Exists(base + "thumbs_" + parts[2] + "/" + size + "_" + parts[2]); ok {
		return e.Next()
	}
	r, err := fsys.GetReader(base + parts[2])
	if err != nil {
		return e.Next() // PocketBase answers the missing file
	}
	w, h, _, isImage := imageSize(r)
	r.Close()
	if isImage && w*h > MaxImagePixels {
		q := e.Request.URL.Query()
		q.Del("thumb")
		e.Request.URL.RawQuery = q.Encode()
	}
	return e.Next()
}

// imageSize reads an image's dimensions and format from its header.
func imageSize(r io.Reader) (w, h int, format string, ok bool) {
	config, format, err := image.DecodeConfig(r)
	if err != nil {
		return 0, 0, "", false
	}
	return config.Width, config.Height, format, true
}
