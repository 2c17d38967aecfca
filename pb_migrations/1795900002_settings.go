package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Mails are bilingual because Madang's users are Korean first but not only.
var resetPasswordTemplate = core.EmailTemplate{
	Subject: "[{APP_NAME}] 비밀번호 재설정 / Reset your password",
	Body: `<p>안녕하세요,</p>
<p>비밀번호 재설정을 요청하셨다면 아래 버튼을 눌러 새 비밀번호를 정하세요. 요청하지 않았다면 이 메일을 무시하셔도 됩니다.</p>
<p>Hello, if you asked to reset your password, follow the link below to choose a new one. If you did not, you can ignore this mail.</p>
<p>
  <a class="btn" href="{APP_URL}/#/reset-password/{TOKEN}" target="_blank" rel="noopener">비밀번호 재설정 / Reset password</a>
</p>
<p>— {APP_NAME}</p>`,
}

var verificationTemplate = core.EmailTemplate{
	Subject: "[{APP_NAME}] 이메일 확인 / Verify your email",
	Body: `<p>{APP_NAME}에 가입해 주셔서 감사합니다. 아래 버튼으로 이메일 주소를 확인해 주세요.</p>
<p>Thanks for joining {APP_NAME}. Please confirm your email address with the link below.</p>
<p>
  <a class="btn" href="{APP_URL}/_/#/auth/confirm-verification/{TOKEN}" target="_blank" rel="noopener">이메일 확인 / Verify</a>
</p>
<p>— {APP_NAME}</p>`,
}

// rateLimits slow down password guessing, sign-up spam and reset-mail floods
// per client IP. They replace PocketBase's default rules, whose global
// "/api/" and "*:create" limits would throttle a busy board or chat.
var rateLimits = []core.RateLimitRule{
	{Label: "users:auth", MaxRequests: 10, Duration: 10},
	{Label: "users:create", MaxRequests: 10, Duration: 60, Audience: "@guest"},
	{Label: "users:requestPasswordReset", MaxRequests: 3, Duration: 60},
	{Label: "users:confirmPasswordReset", MaxRequests: 10, Duration: 60},
}

func init() {
	m.Register(func(app core.App) error {
		settings := app.Settings()
		settings.Meta.AppName = "Madang"
		settings.Meta.SenderName = "Madang"
		settings.RateLimits.Enabled = true
		settings.RateLimits.Rules = append([]core.RateLimitRule(nil), rateLimits...)
		return app.Save(settings)
	}, func(app core.App) error {
		settings := app.Settings()
		settings.Meta.AppName = "Acme"
		settings.RateLimits.Enabled = false
		settings.RateLimits.Rules = nil
		return app.Save(settings)
	})
}
