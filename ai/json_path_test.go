package ai

import (
	"encoding/json"
	"testing"
)

// TestInputErrorsNameTheSpot: every decoding error names the element at
// fault in one path style, input.messages[0].content (the README's and the
// semantic checks'). Until 2026-12-04 an unknown key anywhere was "input
// has an unknown field", and type errors said input.messages.0.content.
func TestInputErrorsNameTheSpot(t *testing.T) {
	chat := loadChat(t, "http://127.0.0.1:1", "")
	linear, err := linearRegression{}.Load(json.RawMessage(`{"features":["a","b"],"coefficients":[1,1],"intercept":0,"target":"y"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	text := loadText(t, mustTrainText(t))
	for _, tc := range []struct {
		p           Predictor
		input, want string
	}{
		{chat, `{"messages":[{"role":"user","content":"a","name":"x"}]}`, `input.messages[0] has an unknown field "name".`},
		{chat, `{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b","Name":"x"}]}`, `input.messages[1] has an unknown field "Name".`},
		// the decoder reports the first unknown field in document order
		{chat, `{"messages":[{"role":"user","content":"a","x":1},{"role":"user","content":"b","name":"x"}]}`, `input.messages[0] has an unknown field "x".`},
		{chat, `{"prompt":"a","name":"x"}`, `input has an unknown field "name".`},
		{chat, `{"messages":[{"ROLE":"user","content":"a"},{"role":"user","content":[{"type":"text"}]}]}`, `input.messages[1].content must be a string, not a JSON array.`},
		{chat, `{"messages":{"role":"user"}}`, `input.messages must be a list, not a JSON object.`},
		{linear, `{"rows":[{"a":1,"b":2},3]}`, `input.rows[1] must be an object, not a JSON number.`},
		{linear, `{"rows":[{"a":1,"b":2}],"feature":{}}`, `input has an unknown field "feature".`},
		{text, `{"texts":["a",["b"]]}`, `input.texts[1] must be a string, not a JSON array.`},
		// control characters, as in every stored text (until 2026-12-07 a NUL went into the job's log)
		{text, `{"text":"a\u0000b"}`, `Remove the control character U+0000 from input.text.`},
		{text, `{"texts":["a","\u001b[31mred"]}`, `Remove the control character U+001B from input.texts[1].`},
		{chat, `{"prompt":"hi\u0000"}`, `Remove the control character U+0000 from input.prompt.`},
		{chat, `{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b\u007f"}]}`, `Remove the control character U+007F from input.messages[1].content.`},
		{chat, `{"prompt":"line one\r\n\tline two"}`, ``},
	} {
		if tc.want == "" {
			if err := tc.p.ValidateInput(json.RawMessage(tc.input)); err != nil {
				t.Errorf("%s: %v, want accepted (tab, CR and LF are text)", tc.input, err)
			}
			continue
		}
		err := tc.p.ValidateInput(json.RawMessage(tc.input))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.input, err, tc.want)
		}
	}
	if err := (openAIChat{}).ValidateOptions(json.RawMessage(`{"base_url":"http://h/v1","model":"m","api_key":"k"}`)); err == nil ||
		err.Error() != `options has an unknown field "api_key".` {
		t.Errorf("options: %v", err)
	}
	if err := (textClassifier{}).ValidateOptions(json.RawMessage(`{"clean_labels":["ok",1]}`)); err == nil ||
		err.Error() != `options.clean_labels[1] must be a string, not a JSON number.` {
		t.Errorf("options: %v", err)
	}
}
