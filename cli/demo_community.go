package cli

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// loadDemoCommunity shows the community features: a question board with
// categories (말머리), an anonymous board, a mention, a report waiting in the
// moderation queue, and a moderator's hide in the log (whose notification
// reaches its author). Everything is written through the model hooks, so
// notifications and log lines come from the same code as in production.
func loadDemoCommunity(txApp core.App) error {
	ids := map[string]*core.Record{}
	for _, u := range demoUsers {
		user, err := findDemoUser(txApp, u.email)
		if err != nil {
			return err
		}
		ids[u.email] = user
	}
	admin, minsu, jane := ids["admin@madang.example"], ids["minsu@madang.example"], ids["jane@madang.example"]

	questions, err := createBoard(txApp, "질문게시판", "말머리를 골라 궁금한 점을 물어보세요", access.ReadPublic, access.WriteMembers, true)
	if err != nil {
		return err
	}
	questions.Set("category_required", true)
	if err := txApp.Save(questions); err != nil {
		return err
	}
	categories := map[string]string{}
	for i, name := range []string{"질문", "정보", "잡담"} {
		c, err := saveDemoRecord(txApp, "board_categories", map[string]any{"board": questions.Id, "name": name, "sort": i})
		if err != nil {
			return err
		}
		categories[name] = c.Id
	}
	if _, err := saveDemoRecord(txApp, "posts", map[string]any{"board": questions.Id, "category": categories["질문"],
		"author": jane.Id, "is_visible": true, "title": "How do I get a board invitation?",
		"content": "@민수 how did you join 스터디? / 스터디 게시판은 어떻게 들어가나요?"}); err != nil {
		return err
	}

	anonymous, err := createBoard(txApp, "익명게시판", "글쓴이가 익명으로 보여요. 편하게 털어놓으세요", access.ReadMembers, access.WriteMembers, true)
	if err != nil {
		return err
	}
	anonymous.Set("anonymous", true)
	if err := txApp.Save(anonymous); err != nil {
		return err
	}
	secret, err := saveDemoRecord(txApp, "posts", map[string]any{"board": anonymous.Id, "author": minsu.Id, "is_visible": true,
		"title": "회사 고민 상담", "content": "이직을 고민 중인데 다들 어떻게 결정하셨나요?"})
	if err != nil {
		return err
	}
	for _, author := range []*core.Record{jane, minsu} {
		if _, err := saveDemoRecord(txApp, "comments", map[string]any{"post": secret.Id, "author": author.Id, "is_visible": true,
			"content": map[bool]string{true: "저도 같은 고민이에요. 응원합니다!", false: "댓글 고마워요."}[author == jane]}); err != nil {
			return err
		}
	}

	lounge, err := findBoard(txApp, "회원 라운지")
	if err != nil {
		return err
	}
	ad, err := saveDemoRecord(txApp, "posts", map[string]any{"board": lounge.Id, "author": jane.Id, "is_visible": true,
		"title": "무료 쿠폰 받아가세요", "content": "최저가 쿠폰 → coupons.example"})
	if err != nil {
		return err
	}
	if _, err := saveDemoRecord(txApp, "reports", map[string]any{"reporter": minsu.Id, "target_kind": "post", "post": ad.Id,
		"reason": "spam", "text": "광고 글이에요", "status": "open"}); err != nil {
		return err
	}
	another, err := saveDemoRecord(txApp, "posts", map[string]any{"board": lounge.Id, "author": jane.Id, "is_visible": true,
		"title": "쿠폰 또 있어요", "content": "coupons.example 에서 받아가세요"})
	if err != nil {
		return err
	}
	// read back: a record saved in this process has no stored original to
	// compare with, and the counters' update writes only changed columns
	if another, err = txApp.FindRecordById("posts", another.Id); err != nil {
		return err
	}
	another.Set("is_visible", false)
	moderator := access.ActorOf(admin)
	moderator.Reason = "광고 글"
	return access.As(another, moderator, func() error { return txApp.Save(another) })
}
