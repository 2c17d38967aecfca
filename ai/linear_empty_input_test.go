package ai_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"madang/internal/testapp"
)

// TestInferRefusesEmptyNumbers: a regression input whose feature is null,
// an empty or blank string, or missing is refused with 400 naming the
// feature, and nothing is queued. Web forms send such values for a field
// left empty; read as 0 they would run the model on a guess.
func TestInferRefusesEmptyNumbers(t *testing.T) {
	var scenarios []tests.ApiScenario
	for _, c := range []struct{ name, input, message string }{
		{"a null feature", `{"features":{"x0":null,"x1":2}}`, `input.features.x0 must be a number, not null.`},
		{"an empty string", `{"features":{"x0":1,"x1":""}}`, `input.features.x1 is empty; send a number (an empty value is not 0).`},
		{"a blank string", `{"features":{"x0":"  ","x1":2}}`, `input.features.x0 is empty; send a number`},
		{"a missing feature", `{"features":{"x1":2}}`, `input.features is missing feature \"x0\"`},
		{"an empty feature in a row", `{"rows":[{"x0":1,"x1":2},{"x0":1,"x1":""}]}`, `input.rows[1].x1 is empty`},
		{"a null feature in a row", `{"rows":[{"x0":null,"x1":2}]}`, `input.rows[0].x0 must be a number, not null.`},
	} {
		before, after := testapp.Unchanged()
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            "input with " + c.name + " is refused and nothing is queued",
			Method:          http.MethodPost,
			URL:             inferURL(mReady),
			Body:            strings.NewReader(`{"input":` + c.input + `}`),
			Headers:         testapp.Auth(testapp.Alice),
			ExpectedStatus:  400,
			ExpectedContent: []string{`"input":{"code":"invalid_input","message":"` + c.message},
			BeforeTestFunc:  before,
			AfterTestFunc:   after,
		})
	}
	for _, s := range scenarios {
		s.TestAppFactory = modelsFactory
		s.Test(t)
	}
}
