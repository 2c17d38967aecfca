package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"madang/ai"
)

// demoToneTexts is the text classifier's dataset, written for the demo:
// short community posts in Korean and English, each a question (질문),
// praise (칭찬) or a complaint (불만). The labels are what members read in
// a job's result, so they are Korean words.
var demoToneTexts = map[string][]string{
	"질문": {
		"게시판에 사진은 어떻게 올리나요?",
		"비밀번호를 바꾸려면 어디로 가야 하나요?",
		"스터디 모임은 언제 시작하나요?",
		"회원 등급은 어떻게 올라가나요?",
		"댓글을 나중에 수정할 수 있나요?",
		"이 기능은 모바일에서도 되나요?",
		"오늘 모임 장소가 어디인가요?",
		"알림을 끄는 방법이 있을까요?",
		"탈퇴하면 제가 쓴 글은 어떻게 되나요?",
		"이 게시판은 누가 관리하나요?",
		"How do I upload a picture to a post?",
		"Where can I change my password?",
		"When does the study group start?",
		"Can I edit a comment after posting it?",
		"Is there a way to turn off notifications?",
		"Does this work on mobile as well?",
		"Who moderates this board?",
		"What happens to my posts if I delete my account?",
		"Is the meetup still on for Saturday?",
		"How do I join one of the invited boards?",
		"채팅방은 어떻게 만드나요?",
		"다른 회원에게 쪽지를 보낼 수 있나요?",
		"글을 임시 저장하는 기능이 있나요?",
		"공지사항은 누가 쓸 수 있나요?",
		"프로필 사진은 어디서 바꾸나요?",
		"How can I start a group chat?",
		"Can I send a private message to another member?",
		"Is there a way to save a draft?",
		"Who is allowed to write announcements?",
		"Where do I change my profile picture?",
	},
	"칭찬": {
		"덕분에 문제를 금방 해결했어요, 정말 감사합니다!",
		"이번 업데이트 정말 마음에 들어요.",
		"운영진 분들이 항상 친절하셔서 좋아요.",
		"글 잘 읽었습니다. 큰 도움이 됐어요.",
		"모임 분위기가 너무 좋았어요.",
		"새 디자인이 훨씬 깔끔하고 예뻐요.",
		"답변이 빨라서 감동했어요.",
		"여기 커뮤니티 최고예요!",
		"설명이 자세해서 이해하기 쉬웠어요.",
		"좋은 정보 공유해 주셔서 고마워요.",
		"Thanks so much, your answer solved my problem right away!",
		"I really love the new update.",
		"The moderators here are always kind and helpful.",
		"Great post, it helped me a lot.",
		"The meetup had such a friendly atmosphere.",
		"The new design looks much cleaner.",
		"Wow, that was a fast reply. Much appreciated!",
		"This is the best community I have joined.",
		"Clear explanation, easy to follow. Thank you!",
		"Thank you for sharing this useful tip.",
		"친절하게 알려 주셔서 감사해요!",
		"이 기능 정말 편리하네요, 최고예요.",
		"오늘 모임 즐거웠어요. 다들 감사합니다.",
		"빠르게 고쳐 주셔서 고맙습니다.",
		"사진이 정말 멋지네요!",
		"Thank you for the kind help!",
		"This feature is really handy, well done.",
		"Today's meetup was fun. Thanks, everyone!",
		"Thanks for fixing it so quickly.",
		"What a lovely photo, great job!",
	},
	"불만": {
		"페이지가 너무 느려서 글을 쓸 수가 없어요.",
		"로그인이 계속 풀려서 짜증나요.",
		"광고 글이 너무 많아서 불편합니다.",
		"사진 업로드가 자꾸 실패해요.",
		"알림이 너무 많이 와서 귀찮아요.",
		"일주일째 답변이 없네요. 실망입니다.",
		"글자가 너무 작아서 읽기 힘들어요.",
		"검색이 제대로 안 돼요.",
		"제 댓글이 사라졌어요. 이건 좀 아닌 것 같아요.",
		"앱이 또 멈췄어요.",
		"The page is so slow that I cannot write anything.",
		"I keep getting logged out, it is annoying.",
		"There is way too much spam on the boards.",
		"My photo upload fails every single time.",
		"I get far too many notifications.",
		"Nobody has answered in a week. Disappointing.",
		"The text is too small to read comfortably.",
		"Search does not find anything useful.",
		"My comment just disappeared, not okay.",
		"The app froze again.",
		"글이 저장되지 않아서 너무 불편해요.",
		"채팅이 자꾸 끊겨요. 고쳐 주세요.",
		"비밀번호 재설정 메일이 오지 않아요.",
		"욕설 댓글이 그대로 남아 있어서 불쾌합니다.",
		"업데이트 후에 더 나빠졌어요.",
		"My post was not saved, which is really frustrating.",
		"The chat keeps dropping. Please fix it.",
		"The password reset email never arrives.",
		"Rude comments are still up, that is unpleasant.",
		"It got worse after the update.",
	},
}

// loadDemoAI adds two trained, visible models: a linear regression on a
// generated dataset and a Korean/English text classifier. Their
// descriptions are what members read on the model page, in the community's
// words (the page itself explains the input per kind).
func loadDemoAI(txApp core.App) error {
	models := []struct {
		name, kind, description, options, file string
		dataset                                []byte
	}{
		{"linear-demo", "linear_regression",
			"동네 모임 비용 계산기: 참석 인원, 대관 시간, 준비물 수를 넣으면 모임에 드는 비용(만 원)을 어림해 드려요. " +
				"지난 모임 500번의 기록으로 배웠어요.",
			`{"target":"모임비용"}`, "linear_demo.csv", demoLinearCSV()},
		{"post-tone", "text_classifier",
			"글 분위기 알아보기: 글을 넣으면 질문인지, 칭찬인지, 불만인지 알려 드려요. " +
				"게시판에 올리기 전에 내 글이 어떻게 읽힐지 확인해 보세요.",
			`{"text_column":"text","label_column":"label"}`, "post_tone.csv", demoToneCSV()},
	}
	collection, err := txApp.FindCollectionByNameOrId(ai.Models)
	if err != nil {
		return err
	}
	for _, m := range models {
		file, err := filesystem.NewFileFromBytes(m.dataset, m.file)
		if err != nil {
			return err
		}
		model := core.NewRecord(collection)
		model.Set("name", m.name)
		model.Set("kind", m.kind)
		model.Set("description", m.description)
		model.Set("options", m.options)
		model.Set("is_visible", true)
		model.Set("dataset", file)
		if err := txApp.Save(model); err != nil {
			return fmt.Errorf("creating demo model %s: %w", m.name, err)
		}
		if err := ai.TrainRecord(context.Background(), txApp, model, nil); err != nil {
			return fmt.Errorf("training demo model %s: %w", m.name, err)
		}
	}
	return nil
}

// demoLinearFeatures name the regression's inputs as a meetup's organiser
// would (the model page labels its form with them); the target is
// 모임비용 = 4·참석인원 + 5·대관시간 + 2·간식 + 7·음료 + 0.1·현수막 + 15·강사
// + 0.05·안내문 + 기념품 + noise.
var demoLinearFeatures = []string{"참석인원", "대관시간", "간식", "음료", "현수막", "강사", "안내문", "기념품"}

// demoLinearCSV draws 500 rows from the seed's formula with Gaussian noise;
// a fixed seed keeps the demo the same on every machine.
func demoLinearCSV() []byte {
	weights := []float64{4, 5, 2, 7, 0.1, 15, 0.05, 1}
	rng := rand.New(rand.NewPCG(2026, 1))
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(append(append([]string(nil), demoLinearFeatures...), "모임비용"))
	for range 500 {
		row := make([]string, 0, len(weights)+1)
		y := rng.NormFloat64() * 0.5
		for _, wt := range weights {
			x := rng.Float64() * 10
			y += wt * x
			row = append(row, strconv.FormatFloat(x, 'f', 3, 64))
		}
		w.Write(append(row, strconv.FormatFloat(y, 'f', 3, 64)))
	}
	w.Flush()
	return b.Bytes()
}

func demoToneCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"text", "label"})
	for _, label := range []string{"질문", "칭찬", "불만"} {
		for _, text := range demoToneTexts[label] {
			w.Write([]string{text, label})
		}
	}
	w.Flush()
	return b.Bytes()
}
