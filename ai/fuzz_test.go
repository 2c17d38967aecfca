package ai

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// FuzzReadCSV feeds arbitrary files to both dataset-reading kinds: every
// failure must be an *InputError a user can act on, never a panic or an
// internal error.
func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"", "\uFEFF", "a,y\n", "a,y\r\n1,2\r\n", "a,a\n", "a,y\n1\n", "a,y\n\"1,2\n",
		"a,y\nNaN,1\n", "a,y\n1e308,1e308\n1e308,-1e308\n" + strings.Repeat("1,2\n", 10),
		"x,y\n" + strings.Repeat("1,1\n", 12),
		linearCSV(30, 1),
		textCSV(textRows(30, 1)),
		"text,label\n" + strings.Repeat("\"\",a\n", 3),
		"text,label\n\xff\xfe,a\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []Kind{linearRegression{}, textClassifier{}} {
			tr, err := kind.Train(context.Background(), strings.NewReader(string(data)), nil, nil)
			var ie *InputError
			if err != nil && !errors.As(err, &ie) {
				t.Fatalf("%s: non-input error %v", kind.Name(), err)
			}
			if err == nil {
				if _, err := kind.Load(tr.Model, nil); err != nil {
					t.Fatalf("%s: trained model does not load: %v", kind.Name(), err)
				}
				if _, err := json.Marshal(tr.Metrics); err != nil {
					t.Fatalf("%s: metrics do not encode: %v", kind.Name(), err)
				}
			}
		}
	})
}

// FuzzLinearInput checks that ValidateInput and Predict agree and that any
// accepted input gives encodable predictions.
func FuzzLinearInput(f *testing.F) {
	for _, seed := range []string{
		`{"features":{"a":1,"b":2}}`, `{"rows":[{"a":1,"b":2},{"a":-1,"b":0.5}]}`, `{"rows":[]}`,
		`{"features":{"a":"1","b":2}}`, `{"features":{"a":1e308,"b":1e308}}`, `{"features":{}}`,
		`{"rows":[null]}`, `null`, `[]`, `{"features":{"a":1,"b":2,"c":3}}`, `{`,
	} {
		f.Add(seed)
	}
	p, err := linearRegression{}.Load(json.RawMessage(`{"features":["a","b"],"coefficients":[2,3],"intercept":1,"target":"y"}`), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input string) {
		validErr := p.ValidateInput(json.RawMessage(input))
		res, err := p.Predict(context.Background(), json.RawMessage(input), nil)
		if validErr != nil {
			if err == nil {
				t.Fatalf("ValidateInput rejected (%v) what Predict accepted", validErr)
			}
			return
		}
		var ie *InputError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("accepted input failed with a non-input error: %v", err)
		}
		if err == nil {
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("result does not encode: %v", err)
			}
		}
	})
}

// FuzzTextInput checks that accepted texts always get probabilities that
// sum to one, whatever their script or bytes.
func FuzzTextInput(f *testing.F) {
	for _, seed := range []string{
		`{"text":"골을 넣었다"}`, `{"texts":["a","b"]}`, `{"text":""}`, `{"text":"\u0000\ufffd"}`,
		`{"texts":[]}`, `{"text":"` + strings.Repeat("가", 50) + `"}`, `{"text":"\ud800"}`, `{"texts":[null]}`,
	} {
		f.Add(seed)
	}
	p := loadText(f, mustTrainText(f))
	f.Fuzz(func(t *testing.T, input string) {
		validErr := p.ValidateInput(json.RawMessage(input))
		res, err := p.Predict(context.Background(), json.RawMessage(input), nil)
		if (validErr == nil) != (err == nil) {
			t.Fatalf("ValidateInput says %v but Predict says %v", validErr, err)
		}
		if err != nil {
			return
		}
		for i, scores := range res.(textResult).Scores {
			sum := 0.0
			for _, p := range scores {
				sum += p
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Fatalf("scores[%d] = %v sum to %v", i, scores, sum)
			}
		}
	})
}
