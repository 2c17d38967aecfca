package ai

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// Korean exported on macOS arrives in decomposed jamo (NFD): it looks like
// the composed form (NFC) but compares unequal. These tests mix both forms
// in datasets, options and inputs; until 2026-12-04 labels and column names
// were compared as typed, so one label trained as two and the same-looking
// names did not match.

func TestTextClassifierMergesDecomposedLabels(t *testing.T) {
	var rows [][2]string
	for i, r := range textRows(100, 7) {
		label := map[string]string{"sports": "불만", "cooking": "칭찬"}[r[1]]
		if i%4 == 0 {
			label = norm.NFD.String(label) // half of 불만's rows come from another export
		}
		rows = append(rows, [2]string{r[0], label})
	}
	csv := strings.Replace(textCSV(rows), "text,label", norm.NFD.String("글,분류"), 1)
	tr, err := trainText(t, csv, `{"text_column":"글","label_column":"`+norm.NFD.String("분류")+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	var m textModel
	json.Unmarshal(tr.Model, &m)
	if strings.Join(m.Labels, ",") != "불만,칭찬" || tr.Metrics["labels"] != 2 || tr.Metrics["accuracy"] < 0.9 {
		t.Fatalf("labels %q (%+q), metrics %v; want the two NFC labels", m.Labels, m.Labels, tr.Metrics)
	}
	res, err := loadText(t, tr).Predict(context.Background(), json.RawMessage(`{"text":"감독은 서울 FC의 다음 시즌 전략을 발표했다"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.(textResult); got.Labels[0] != "불만" || len(got.Scores[0]) != 2 {
		t.Errorf("result %+v", got)
	}
}

// TestFlaggedComparesLabelsInOneForm: the moderation assist's clean labels
// match in either form, the model's (a model trained before may hold NFD
// labels) and the options'.
func TestFlaggedComparesLabelsInOneForm(t *testing.T) {
	nfd := norm.NFD.String("정상")
	for _, tc := range []struct{ options, clean string }{
		{`{}`, nfd}, // default clean labels, NFD model
		{`{"clean_labels":["` + nfd + `"]}`, "정상"},           // NFD option, NFC model
		{`{"clean_labels":[" 양호 "]}`, norm.NFD.String("양호")}, // NFC option, NFD model
	} {
		label, score := Flagged(json.RawMessage(tc.options), map[string]float64{tc.clean: 0.9, "spam": 0.1})
		if label != "spam" || score != 0.1 {
			t.Errorf("options %s, clean label %+q: flagged %q %v, want spam 0.1", tc.options, tc.clean, label, score)
		}
	}
	if got := CleanLabels(json.RawMessage(`{"clean_labels":[" ` + nfd + ` "]}`)); len(got) != 1 || got[0] != "정상" {
		t.Errorf("CleanLabels %+q, want the NFC label (the export's label column)", got)
	}
}

func TestLinearRegressionMatchesDecomposedNames(t *testing.T) {
	age, weight := norm.NFD.String("나이"), norm.NFD.String("몸무게")
	var b strings.Builder
	fmt.Fprintf(&b, "%s,x,%s\n", age, weight)
	for i := range 30 {
		fmt.Fprintf(&b, "%d,%d,%d\n", i, (i*7)%11, 3+2*i+(i*7)%11)
	}
	tr, err := trainLinear(t, b.String(), `{"target":"몸무게"}`) // typed in NFC
	if err != nil {
		t.Fatal(err)
	}
	var m linearModel
	json.Unmarshal(tr.Model, &m)
	if strings.Join(m.Features, ",") != "나이,x" || m.Target != "몸무게" {
		t.Fatalf("features %+q, target %+q; want NFC names", m.Features, m.Target)
	}
	p, err := linearRegression{}.Load(tr.Model, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, input := range []string{`{"features":{"나이":1,"x":1}}`, `{"rows":[{"` + age + `":1,"x":1}]}`} {
		res, err := p.Predict(context.Background(), json.RawMessage(input), nil)
		if err != nil || len(res.(linearResult).Predictions) != 1 {
			t.Errorf("%+q: %v %v", input, res, err)
		}
	}
	_, err = p.Predict(context.Background(), json.RawMessage(`{"features":{"나이":1,"`+age+`":2,"x":1}}`), nil)
	if want := `input.features names feature "나이" twice`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("both forms in one row: %v, want %q", err, want)
	}

	// a model stored before names were normalized takes NFC input too
	old, err := linearRegression{}.Load(json.RawMessage(`{"features":["`+age+`"],"coefficients":[2],"intercept":1,"target":"y"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := old.Predict(context.Background(), json.RawMessage(`{"features":{"나이":3}}`), nil); err != nil || res.(linearResult).Predictions[0] != 7 {
		t.Errorf("an NFD model with NFC input: %v %v", res, err)
	}
}

// TestTextLengthCountsComposedLetters: a text's 10,000 characters are
// counted as it is read, composed (NFC): 각 sent decomposed is one
// character, not three (until 2026-12-07 4,000 such syllables were
// refused as 12,000 characters).
func TestTextLengthCountsComposedLetters(t *testing.T) {
	if err := checkText(norm.NFD.String(strings.Repeat("각", maxTextRunes)), "input.text"); err != nil {
		t.Errorf("10,000 decomposed syllables: %v", err)
	}
	err := checkText(norm.NFD.String(strings.Repeat("각", maxTextRunes+1)), "input.text")
	if err == nil || err.Error() != "input.text has 10001 characters; at most 10000 are allowed." {
		t.Errorf("10,001 decomposed syllables: %v", err)
	}
}
