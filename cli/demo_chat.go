package cli

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

type demoChatMessage struct{ author, content string }

// demoSupportChat is the support conversation `madang demo` opens: a member
// asks, an admin answers.
var demoSupportChat = struct {
	name, info, owner string
	messages          []demoChatMessage
}{
	name:  "비밀번호 변경 문의",
	info:  "민수 님의 고객 지원 대화",
	owner: "minsu@madang.example",
	messages: []demoChatMessage{
		{"minsu@madang.example", "안녕하세요, 비밀번호를 바꾸고 싶은데 어디서 하나요?"},
		{"minsu@madang.example", "휴대폰에서는 메뉴가 안 보여요."},
		{"admin@madang.example", "안녕하세요! 로그인 화면의 '비밀번호를 잊었나요?'를 누르면 메일로 재설정 링크를 보내 드려요. 로그인한 상태라면 '내 정보'에서 바로 바꿀 수 있어요."},
	},
}

// loadDemoChat opens the demo support session with txApp.Save, so the chat
// hooks keep last_message_at as in production.
func loadDemoChat(txApp core.App) error {
	owner, err := findDemoUser(txApp, demoSupportChat.owner)
	if err != nil {
		return err
	}
	session, err := saveDemoChatRecord(txApp, "chat_sessions", map[string]any{
		"name": demoSupportChat.name, "information": demoSupportChat.info, "kind": "support",
		"owner": owner.Id, "members": []string{owner.Id},
	})
	if err != nil {
		return err
	}
	for _, m := range demoSupportChat.messages {
		author, err := findDemoUser(txApp, m.author)
		if err != nil {
			return err
		}
		_, err = saveDemoChatRecord(txApp, "chats", map[string]any{
			"session": session.Id, "author": author.Id, "content": m.content, "is_visible": true,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func saveDemoChatRecord(txApp core.App, collection string, fields map[string]any) (*core.Record, error) {
	c, err := txApp.FindCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	r := core.NewRecord(c)
	r.Load(fields)
	if err := txApp.Save(r); err != nil {
		return nil, fmt.Errorf("creating demo %s: %w", collection, err)
	}
	return r, nil
}
