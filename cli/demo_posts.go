package cli

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

type demoPost struct {
	board, author, title, content string
	pinned                        bool
	comments                      []demoComment
	likedBy                       []string
}

// demoComment is a comment on a demo post; replies answer the comment
// before them (one level, as the contract allows).
type demoComment struct {
	author, content string
	reply           bool
}

var demoPosts = []demoPost{
	{
		board: "공지사항", author: "admin@madang.example", pinned: true,
		title:   "마당에 오신 것을 환영합니다 / Welcome to Madang",
		content: "서로 존중하며 이야기해 주세요. 규칙을 어긴 글은 운영진이 숨길 수 있습니다.\n\nPlease be kind to each other; moderators may hide posts that break the rules.",
		likedBy: []string{"minsu@madang.example", "jane@madang.example"},
	},
	{
		board: "자유게시판", author: "minsu@madang.example",
		title:   "주말에 마당에서 바비큐 어때요?",
		content: "토요일 오후 4시에 모여서 같이 고기 구워요. 먹을 것 하나씩 가져오기!",
		comments: []demoComment{
			{author: "jane@madang.example", content: "Count me in! I'll bring drinks."},
			{author: "minsu@madang.example", content: "좋아요, 음료는 제인 님이 맡아 주세요.", reply: true},
			{author: "admin@madang.example", content: "비 소식이 있으니 우산도 챙기세요."},
		},
		likedBy: []string{"jane@madang.example", "admin@madang.example"},
	},
	{
		board: "자유게시판", author: "jane@madang.example",
		title:    "Learning Korean — tips?",
		content:  "I'm learning Korean and practising here. Any favourite apps or books?",
		comments: []demoComment{{author: "minsu@madang.example", content: "드라마를 한국어 자막으로 보는 걸 추천해요!"}},
		likedBy:  []string{"minsu@madang.example"},
	},
	{
		board: "회원 라운지", author: "jane@madang.example",
		title:   "Members-only lounge is open",
		content: "Only signed-in members can read this board.",
	},
	{
		board: "스터디", author: "minsu@madang.example",
		title:   "Go 스터디 1주차 정리",
		content: "PocketBase 훅과 트랜잭션을 공부했습니다. 다음 주에는 테스트를 다룹니다.",
	},
}

// loadDemoPosts writes the demo posts, comments and likes with txApp.Save,
// so counters and derived fields come from the same hooks as in production.
func loadDemoPosts(txApp core.App) error {
	userIDs := map[string]string{}
	for _, u := range demoUsers {
		user, err := findDemoUser(txApp, u.email)
		if err != nil {
			return err
		}
		userIDs[u.email] = user.Id
	}
	for _, p := range demoPosts {
		board, err := findBoard(txApp, p.board)
		if err != nil {
			return err
		}
		post, err := saveDemoRecord(txApp, "posts", map[string]any{
			"board": board.Id, "author": userIDs[p.author], "title": p.title, "content": p.content,
			"is_visible": true, "is_pinned": p.pinned,
		})
		if err != nil {
			return err
		}
		var parent string
		for _, c := range p.comments {
			fields := map[string]any{"post": post.Id, "author": userIDs[c.author], "content": c.content, "is_visible": true}
			if c.reply {
				fields["parent"] = parent
			}
			comment, err := saveDemoRecord(txApp, "comments", fields)
			if err != nil {
				return err
			}
			if !c.reply {
				parent = comment.Id
			}
		}
		for _, email := range p.likedBy {
			if _, err := saveDemoRecord(txApp, "post_likes", map[string]any{"post": post.Id, "user": userIDs[email]}); err != nil {
				return err
			}
		}
	}
	return nil
}

func saveDemoRecord(txApp core.App, collection string, fields map[string]any) (*core.Record, error) {
	c, err := txApp.FindCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	r := core.NewRecord(c)
	r.Load(fields)
	if err := txApp.Save(r); err != nil {
		return nil, fmt.Errorf("creating demo %s %v: %w", collection, fields["title"], err)
	}
	return r, nil
}
