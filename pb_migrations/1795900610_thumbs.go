package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The web client shows attached images inline as thumbnails and avatars as
// small round pictures: PocketBase makes (and caches) a thumbnail only for
// the sizes its file field lists, else it sends the original. And the
// verification and email-change mails link to the web client's own pages
// (#/confirm-verification/{TOKEN}, #/confirm-email-change/{TOKEN}) instead
// of the dashboard's, which members do not use.

// thumbSizes are the sizes the web client asks for, per collection.field.
var thumbSizes = map[[2]string][]string{
	{"posts", "attachments"}:    {"320x0", "960x0"},
	{"comments", "attachments"}: {"320x0"},
	{"users", "avatar"}:         {"64x64", "96x96", "160x160"},
}

var verificationTemplateWeb = core.EmailTemplate{
	Subject: verificationTemplate.Subject,
	Body: `<p>{APP_NAME}에 가입해 주셔서 감사합니다. 아래 버튼으로 이메일 주소를 확인해 주세요.</p>
<p>Thanks for joining {APP_NAME}. Please confirm your email address with the link below.</p>
<p>
  <a class="btn" href="{APP_URL}/#/confirm-verification/{TOKEN}" target="_blank" rel="noopener">이메일 확인 / Verify</a>
</p>
<p>— {APP_NAME}</p>`,
}

var confirmEmailChangeTemplate = core.EmailTemplate{
	Subject: "[{APP_NAME}] 새 이메일 주소 확인 / Confirm your new email address",
	Body: `<p>안녕하세요,</p>
<p>이메일 주소 변경을 요청하셨다면 아래 버튼을 눌러 새 주소를 확인하세요 (비밀번호를 묻습니다). 요청하지 않았다면 이 메일을 무시하셔도 됩니다.</p>
<p>Hello, if you asked to change your email address, follow the link below to confirm the new one (it asks for your password). If you did not, you can ignore this mail.</p>
<p>
  <a class="btn" href="{APP_URL}/#/confirm-email-change/{TOKEN}" target="_blank" rel="noopener">새 이메일 확인 / Confirm new email</a>
</p>
<p>— {APP_NAME}</p>`,
}

func init() {
	m.Register(func(app core.App) error {
		if err := setThumbs(app, false); err != nil {
			return err
		}
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.VerificationTemplate = verificationTemplateWeb
		users.ConfirmEmailChangeTemplate = confirmEmailChangeTemplate
		return app.Save(users)
	}, func(app core.App) error {
		if err := setThumbs(app, true); err != nil {
			return err
		}
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.VerificationTemplate = verificationTemplate
		// PocketBase's own default template, as a new auth collection has it
		users.ConfirmEmailChangeTemplate = core.NewAuthCollection("defaults").ConfirmEmailChangeTemplate
		return app.Save(users)
	})
}

// setThumbs lists thumbSizes on their file fields, or (clear) lists none.
func setThumbs(app core.App, clear bool) error {
	for key, sizes := range thumbSizes {
		collection, err := app.FindCollectionByNameOrId(key[0])
		if err != nil {
			return err
		}
		field, ok := collection.Fields.GetByName(key[1]).(*core.FileField)
		if !ok {
			continue
		}
		if clear {
			field.Thumbs = nil
		} else {
			field.Thumbs = append([]string(nil), sizes...)
		}
		if err := app.Save(collection); err != nil {
			return err
		}
	}
	return nil
}
