package hooks

import (
	"fmt"
	"image"
	_ "image/gif" // the formats PocketBase makes thumbnails of
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	_ "golang.org/x/image/webp"
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
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(noThumbOfHugeImages)
		return e.Next()
	})
}

// checkNewFiles names, on every save, each newly attached file of any
// file field by its writer's name (storedFileName), and refuses an image
// of more than MaxImagePixels: 400 naming the field.
func checkNewFiles(e *core.RecordEvent) error {
	for _, field := range e.Record.Collection().Fields {
		if field.Type() != core.FieldTypeFile {
			continue
		}
		for _, f := range e.Record.GetUnsavedFiles(field.GetName()) {
			f.Name = storedFileName(f)
			r, err := f.Reader.Open()
			if err != nil {
				return err
			}
			w, h, isImage := imageSize(r)
			r.Close()
			if isImage && w*h > MaxImagePixels {
				return validation.Errors{field.GetName(): validation.NewError("validation_image_too_large",
					fmt.Sprintf("The image %s is %d×%d pixels; at most %d megapixels are allowed.",
						f.OriginalName, w, h, MaxImagePixels/1_000_000))}
			}
		}
	}
	return e.Next()
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
	w, h, isImage := imageSize(r)
	r.Close()
	if isImage && w*h > MaxImagePixels {
		q := e.Request.URL.Query()
		q.Del("thumb")
		e.Request.URL.RawQuery = q.Encode()
	}
	return e.Next()
}

// imageSize reads an image's dimensions from its header.
func imageSize(r io.Reader) (w, h int, ok bool) {
	config, _, err := image.DecodeConfig(r)
	if err != nil {
		return 0, 0, false
	}
	return config.Width, config.Height, true
}
