package migrations

import (
	"mime"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Avatars are raster images: PocketBase's users collection takes SVG
// avatars too, makes no thumbnail of them and serves the original, and the
// web client draws a writer's avatar beside every post, comment and chat
// message. On 2026-12-07 a member's 9 KB SVG of nested <use> elements froze
// every tab that showed it — a guest's home page, the admin's too, so the
// admin could not remove it from the web client. The avatars stored before
// that are no raster image (by the type detected at upload) are removed;
// the member can pick another.
var rasterImages = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		avatar, ok := users.Fields.GetByName("avatar").(*core.FileField)
		if !ok {
			return nil // an operator's own schema
		}
		avatar.MimeTypes = slices.Clone(rasterImages)
		if err := app.Save(users); err != nil {
			return err
		}
		withAvatars, err := app.FindRecordsByFilter(users, "avatar != ''", "", 0, 0)
		if err != nil {
			return err
		}
		fsys, err := app.NewFilesystem()
		if err != nil {
			return err
		}
		defer fsys.Close()
		for _, user := range withAvatars {
			// by the type detected at upload, not the name: an SVG could be
			// stored as bomb.png, and a PNG as logo.svg.png
			attrs, err := fsys.Attributes(user.BaseFilesPath() + "/" + user.GetString("avatar"))
			if err != nil {
				continue // no file: nothing is drawn
			}
			if detected, _, _ := mime.ParseMediaType(attrs.ContentType); slices.Contains(rasterImages, detected) {
				continue
			}
			user.Set("avatar", nil)
			if err := app.SaveNoValidate(user); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		if avatar, ok := users.Fields.GetByName("avatar").(*core.FileField); ok && slices.Equal(avatar.MimeTypes, rasterImages) {
			avatar.MimeTypes = []string{"image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"}
			return app.Save(users)
		}
		return nil
	})
}
