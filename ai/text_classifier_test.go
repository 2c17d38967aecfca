package ai

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// Templates for a mixed Korean/English sports-versus-cooking dataset. Each
// row picks a template and fills it, so no two splits share exact texts.
var textTemplates = map[string][]string{
	"sports": {
		"{team} 선수들이 어제 경기에서 두 골을 넣고 승리했다",
		"감독은 {team}의 다음 시즌 전략을 발표했다",
		"{player} 선수가 결승전에서 역전 홈런을 쳤다",
		"관중들이 경기장을 가득 메우고 {team}을 응원했다",
		"The {team} striker scored twice in the second half",
		"{player} signed a new contract with the club this season",
		"The referee showed a red card and the match ended in a draw",
		"Fans cheered as {player} crossed the finish line first",
	},
	"cooking": {
		"{food}를 썰어서 중불에 오 분 동안 볶아 주세요",
		"냄비에 물을 붓고 {food}와 소금을 넣어 끓인다",
		"오늘 저녁은 {food}를 넣은 김치찌개를 만들었다",
		"양념에 재운 {food}를 오븐에 굽고 참기름을 두른다",
		"Chop the {food} and fry it with garlic and olive oil",
		"Simmer the soup with {food} for twenty minutes, then add salt",
		"This recipe bakes {food} in the oven until golden",
		"Stir the sauce and season the {food} with pepper",
	},
}

var textFillers = map[string][]string{
	"{team}":   {"서울 FC", "부산", "울산 현대", "Tigers", "Lions", "United"},
	"{player}": {"손흥민", "김민재", "이강인", "Smith", "Garcia", "Park"},
	"{food}":   {"양파", "감자", "돼지고기", "두부", "onion", "potato", "chicken", "tofu"},
}

func textRows(rows int, seed uint64) [][2]string {
	rng := rand.New(rand.NewPCG(seed, 2))
	labels := []string{"sports", "cooking"}
	out := make([][2]string, rows)
	for i := range out {
		label := labels[i%2]
		tpl := textTemplates[label][rng.IntN(len(textTemplates[label]))]
		for _, slot := range []string{"{team}", "{player}", "{food}"} { // fixed order: same seed, same rows
			fills := textFillers[slot]
			tpl = strings.ReplaceAll(tpl, slot, fills[rng.IntN(len(fills))])
		}
		out[i] = [2]string{tpl, label}
	}
	return out
}

func textCSV(rows [][2]string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"text", "label"})
	for _, r := range rows {
		w.Write(r[:])
	}
	w.Flush()
	return b.String()
}

func trainText(t testing.TB, csv, options string) (*Trained, error) {
	t.Helper()
	return textClassifier{}.Train(context.Background(), strings.NewReader(csv), json.RawMessage(options), nil)
}

func loadText(t testing.TB, tr *Trained) Predictor {
	t.Helper()
	p, err := textClassifier{}.Load(tr.Model, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTextClassifierLearnsKoreanAndEnglish(t *testing.T) {
	tr, err := trainText(t, textCSV(textRows(200, 1)), `{"text_column":"text","label_column":"label"}`)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("metrics %v, model %d bytes", tr.Metrics, len(tr.Model))
	if tr.Metrics["accuracy"] <= 0.9 || tr.Metrics["macro_f1"] <= 0.9 {
		t.Errorf("held-out accuracy %v, macro F1 %v; want > 0.9", tr.Metrics["accuracy"], tr.Metrics["macro_f1"])
	}
	if tr.Metrics["rows_train"] != 160 || tr.Metrics["rows_test"] != 40 || tr.Metrics["labels"] != 2 {
		t.Errorf("counts %v", tr.Metrics)
	}

	p := loadText(t, tr)
	res, err := p.Predict(context.Background(), json.RawMessage(
		`{"texts":["손흥민 선수가 결승전에서 골을 넣었다","Fry the onion with garlic","두부를 넣고 끓인다","The Lions won the match"]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := res.(textResult)
	if want := "sports,cooking,cooking,sports"; strings.Join(got.Labels, ",") != want {
		t.Errorf("labels %v, want %s", got.Labels, want)
	}
	for i, scores := range got.Scores {
		sum := 0.0
		for _, p := range scores {
			sum += p
		}
		if math.Abs(sum-1) > 1e-9 || len(scores) != 2 {
			t.Errorf("scores[%d] = %v sum to %v, want 1", i, scores, sum)
		}
		if scores[got.Labels[i]] < 0.5 {
			t.Errorf("label %q has score %v, not the highest", got.Labels[i], scores[got.Labels[i]])
		}
	}
}

func TestTextClassifierIsDeterministic(t *testing.T) {
	a, b := mustTrainText(t), mustTrainText(t)
	if string(a.Model) != string(b.Model) {
		t.Error("same data trained twice gave different models")
	}
}

func TestTextClassifierNormalizesText(t *testing.T) {
	p := loadText(t, mustTrainText(t)).(*textPredictor)
	nfc := "김치찌개를  만들었다"
	nfd := norm.NFD.String("김치찌개를 \t만들었다")
	if nfc == nfd {
		t.Fatal("test needs decomposed Hangul")
	}
	a := p.classify(nfc, nil)
	b := p.classify(strings.ToUpper(nfd), nil)
	if a[0] != b[0] {
		t.Errorf("NFC %v and NFD %v texts score differently", a, b)
	}
}

func mustTrainText(t testing.TB) *Trained {
	t.Helper()
	tr, err := trainText(t, textCSV(textRows(120, 5)), `{}`)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTextClassifierCapsVocabulary(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	rows := make([][2]string, 400)
	for i := range rows {
		var b strings.Builder
		for range 120 {
			b.WriteRune(rune(0xAC00 + rng.IntN(11172))) // any Hangul syllable
		}
		rows[i] = [2]string{b.String(), []string{"a", "b"}[i%2]}
	}
	tr, err := trainText(t, textCSV(rows), `{}`)
	if err != nil {
		t.Fatal(err)
	}
	var m textModel
	if err := json.Unmarshal(tr.Model, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Grams) != maxVocabulary || tr.Metrics["vocabulary"] != maxVocabulary {
		t.Errorf("vocabulary %d, want the cap %d", len(m.Grams), maxVocabulary)
	}
	t.Logf("model with a full vocabulary: %d bytes", len(tr.Model))
	if len(tr.Model) > 2<<20 {
		t.Errorf("model is %d bytes; want under 2 MB", len(tr.Model))
	}
}

func TestTextClassifierRejectsBadDatasets(t *testing.T) {
	good := textCSV(textRows(30, 1))
	for _, tc := range []struct{ name, csv, options, want string }{
		{"empty file", "", `{}`, "The dataset is empty"},
		{"too few rows", "text,label\nhello,a\nbye,b\n", `{}`, "has 2 data rows"},
		{"one label", textCSV([][2]string{{"a", "x"}, {"b", "x"}, {"c", "x"}, {"d", "x"}, {"e", "x"}, {"f", "x"}, {"g", "x"}, {"h", "x"}, {"i", "x"}, {"j", "x"}}), `{}`, `only one label ("x")`},
		{"no test rows", "text,label\n" + strings.Repeat("a,1\nb,2\nc,3\nd,4\ne,5\n", 2), `{}`, "No label has 5 texts"},
		{"missing label column", "text,category\nhi,a\n", `{}`, `no column "label" (set by options.label_column); its columns are text, category`},
		{"custom missing text column", good, `{"text_column":"body"}`, `no column "body" (set by options.text_column)`},
		{"empty text", "text,label\nhello,a\n  ,b\n", `{}`, `at row 3, column 1 ("text"): the text is empty`},
		{"invisible text", "text,label\nhello,a\n\u200b,b\n", `{}`, `at row 3, column 1 ("text"): the text is empty or shows nothing`},
		{"empty label", "text,label\nhello,\n", `{}`, `at row 2, column 2 ("label"): the label is empty`},
		{"duplicated header", "text,label,text\n", `{}`, `names column "text" twice`},
		{"same columns", good, `{"text_column":"label"}`, "must be different columns"},
		{"unknown option", good, `{"text_col":"text"}`, `unknown field "text_col"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := trainText(t, tc.csv, tc.options)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(ie.Message, tc.want) {
				t.Errorf("error %v, want an input error containing %q", err, tc.want)
			}
		})
	}
}

func TestTextClassifierReadsCustomColumnsWithBOMAndCRLF(t *testing.T) {
	rows := textRows(60, 3)
	var b strings.Builder
	b.WriteString("\uFEFFid,category,body\r\n")
	for i, r := range rows {
		b.WriteString(strings.Join([]string{string(rune('a' + i%26)), r[1], `"` + r[0] + `"`}, ",") + "\r\n")
	}
	tr, err := trainText(t, b.String(), `{"text_column":"body","label_column":"category"}`)
	if err != nil {
		t.Fatal(err)
	}
	var m textModel
	if err := json.Unmarshal(tr.Model, &m); err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Labels, ",") != "sports,cooking" {
		t.Errorf("labels %v", m.Labels)
	}
}

func TestTextClassifierRejectsBadInput(t *testing.T) {
	p := loadText(t, mustTrainText(t))
	tooMany := `{"texts":[` + strings.Repeat(`"a",`, maxInputRows) + `"a"]}`
	tooLong := `{"text":"` + strings.Repeat("가", maxTextRunes+1) + `"}`
	for _, tc := range []struct{ input, want string }{
		{``, "input is required"},
		{`{}`, `needs "text"`},
		{`{"text":""}`, "input.text is empty"},
		{`{"text":" \n "}`, "input.text is empty"},
		{`{"text":"\u200b"}`, "input.text is empty or shows nothing"},
		{`{"texts":["ok","\u3164 \u200d"]}`, "input.texts[1] is empty or shows nothing"},
		{`{"texts":[]}`, "input.texts is empty"},
		{`{"texts":["ok",""]}`, "input.texts[1] is empty"},
		{`{"text":"a","texts":["b"]}`, "not both"},
		{`{"text":5}`, "input.text must be a string"},
		{`{"texts":[1]}`, "must be a string"},
		{tooMany, "at most 1000"},
		{tooLong, "at most 10000"},
		{`{"txt":"a"}`, `unknown field "txt"`},
	} {
		err := p.ValidateInput(json.RawMessage(tc.input))
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != "input" || !strings.Contains(ie.Message, tc.want) {
			t.Errorf("%.60s: error %v, want an input error containing %q", tc.input, err, tc.want)
		}
	}
}

func TestTextClassifierRejectsBrokenStoredModels(t *testing.T) {
	for _, model := range []string{
		`[]`,
		`{"labels":["a"],"docs":[1],"grams":[],"counts":[]}`,
		`{"labels":["a","b"],"docs":[1,1],"grams":[],"counts":[]}`,
		`{"labels":["a","b"],"docs":[1,0],"grams":["x"],"counts":[[0,1]]}`,
		`{"labels":["a","b"],"docs":[1,1],"grams":["x"],"counts":[]}`,
		`{"labels":["a","b"],"docs":[1,1],"grams":["x"],"counts":[[2,1]]}`,
		`{"labels":["a","b"],"docs":[1,1],"grams":["x"],"counts":[[0]]}`,
		`{"labels":["a","b"],"docs":[1,1],"grams":["x","x"],"counts":[[0,1],[1,1]]}`,
	} {
		if _, err := (textClassifier{}).Load(json.RawMessage(model), nil); err == nil {
			t.Errorf("Load(%s) succeeded", model)
		}
	}
}

func TestNgrams(t *testing.T) {
	var got []string
	for g := range ngrams(normalizeText("  Ab\t한 ")) {
		got = append(got, g)
	}
	want := []string{"a", " a", "b", "ab", " ab", "b ", "ab ", "한", " 한", "b 한", "한 ", " 한 "}
	if !slices.Equal(got, want) {
		t.Errorf("ngrams = %q, want %q", got, want)
	}
}

// TestTextClassifierBoundsCountedGrams: a dataset with more distinct grams
// than maxCountedGrams (random Hangul: almost every bigram and trigram is
// new) is counted in bounded memory, forgetting the rarest, and still
// learns what its labels share: 44.5 MB of such text took 3.4 GB before.
func TestTextClassifierBoundsCountedGrams(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	var b strings.Builder
	b.WriteString("text,label\n")
	for i := range 40 {
		label, marker := "a", "사과나무"
		if i%2 == 1 {
			label, marker = "b", "바다거북"
		}
		for range 400 { // the marker recurs, the noise does not
			b.WriteString(marker + " ")
			for range 25 {
				b.WriteRune(rune(0xAC00 + rng.IntN(11172)))
			}
			b.WriteString(" ")
		}
		b.WriteString("," + label + "\n")
	}
	opts := textOptions{TextColumn: "text", LabelColumn: "label"}
	c, err := countDataset(context.Background(), strings.NewReader(b.String()), opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.prunes == 0 || len(c.grams) > maxCountedGrams || len(c.gramNames) != len(c.grams) || len(c.totals) != len(c.grams) {
		t.Fatalf("%d grams counted after %d prunes (bound %d), %d names, %d totals",
			len(c.grams), c.prunes, maxCountedGrams, len(c.gramNames), len(c.totals))
	}
	for id, total := range c.totals {
		sum := 0
		for _, m := range c.counts {
			sum += m[int32(id)]
		}
		if sum != total {
			t.Fatalf("gram %q: total %d, per-label counts sum to %d", c.gramNames[id], total, sum)
		}
	}

	tr, err := trainText(t, b.String(), `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Metrics["accuracy"] != 1 || tr.Metrics["vocabulary"] != maxVocabulary {
		t.Errorf("metrics %v, want accuracy 1 over a full vocabulary", tr.Metrics)
	}
	p := loadText(t, tr)
	res, err := p.Predict(context.Background(), json.RawMessage(`{"texts":["사과나무","바다거북"]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.(textResult).Labels; !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("labels %v, want the markers' labels [a b]", got)
	}
}

// TestTextClassifierReadsSpreadsheetTextMarkers: a text or label that a
// spreadsheet would read as a formula comes out of Madang's exports with
// the text marker ' in front (SpreadsheetCell); training reads it as the
// spreadsheet shows it, so both files give the same model. A ' before
// anything else is text.
func TestTextClassifierReadsSpreadsheetTextMarkers(t *testing.T) {
	plain, marked := textRows(100, 3), textRows(100, 3)
	for i := range plain {
		plain[i][0] = "=" + plain[i][0]
		marked[i][0] = SpreadsheetCell(plain[i][0])
		if marked[i][0] != "'"+plain[i][0] {
			t.Fatalf("SpreadsheetCell(%q) = %q", plain[i][0], marked[i][0])
		}
	}
	const opts = `{"text_column":"text","label_column":"label"}`
	a, errA := trainText(t, textCSV(plain), opts)
	b, errB := trainText(t, textCSV(marked), opts)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if string(a.Model) != string(b.Model) {
		t.Error("a dataset with spreadsheet text markers trained another model")
	}
	for in, want := range map[string]string{"'=1+1": "=1+1", "'-3": "-3", "'@me": "@me", "'tis": "'tis", "'": "'", "=x": "=x"} {
		if got := TextCell(in); got != want {
			t.Errorf("TextCell(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"=x": "'=x", "+1": "'+1", "-1": "'-1", "@a": "'@a", "\tx": "'\tx", "가=": "가=", "": ""} {
		if got := SpreadsheetCell(in); got != want {
			t.Errorf("SpreadsheetCell(%q) = %q, want %q", in, got, want)
		}
	}
}
