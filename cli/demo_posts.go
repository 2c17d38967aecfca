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
		title:   "마당에 오신 것을 환영합니다",
		content: "동네 이웃과 편하게 이야기 나누는 곳입니다. 서로 존중하며 이야기해 주세요.\n\n**이것만 지켜 주세요**\n\n- 욕설과 비방은 안 돼요.\n- 광고 글은 운영진이 숨길 수 있어요.\n- 궁금한 점은 질문게시판에 남겨 주세요.\n\n> 문제가 있는 글은 **신고** 버튼으로 알려 주시면 운영진이 살펴봅니다.",
		likedBy: []string{"minsu@madang.example", "jane@madang.example"},
	},
	{
		board: "자유게시판", author: "minsu@madang.example",
		title:   "주말에 마당에서 바비큐 어때요?",
		content: "토요일 오후 4시에 모여서 같이 고기 구워요. 먹을 것 하나씩 가져오기!",
		comments: []demoComment{
			{author: "jane@madang.example", content: "저도 갈게요! 음료는 제가 챙겨 갈게요 :)"},
			{author: "minsu@madang.example", content: "좋아요, 음료는 제인 님이 맡아 주세요.", reply: true},
			{author: "admin@madang.example", content: "비 소식이 있으니 우산도 챙기세요."},
		},
		likedBy: []string{"jane@madang.example", "admin@madang.example"},
	},
	{
		board: "자유게시판", author: "jane@madang.example",
		title:    "한국어 공부하는 제인이에요, 팁 있을까요?",
		content:  "한국어를 배운 지 1년 됐어요. 여기서 글 쓰면서 연습하고 있어요. 좋아하는 앱이나 책이 있으면 추천해 주세요!",
		comments: []demoComment{{author: "minsu@madang.example", content: "드라마를 한국어 자막으로 보는 걸 추천해요! 처음엔 *예능*이 쉬워요."}},
		likedBy:  []string{"minsu@madang.example"},
	},
	{
		board: "회원 라운지", author: "jane@madang.example",
		title:   "회원 라운지가 열렸어요",
		content: "로그인한 회원만 읽을 수 있는 게시판이에요. 동네 소식이나 소소한 이야기 편하게 나눠요.",
	},
	{
		board: "스터디", author: "minsu@madang.example",
		title:   "Go 스터디 1주차 정리",
		content: "이번 주에는 이렇게 공부했어요.\n\n1. PocketBase 훅\n2. 트랜잭션\n\n다음 주에는 테스트를 다룹니다. 자료는 https://pocketbase.io/docs/ 에 있어요.",
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
