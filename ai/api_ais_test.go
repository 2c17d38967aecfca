package ai_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"madang/ai"
	"madang/internal/testapp"
)

const aisURL = "/api/collections/ais/records"

func TestModelsListAndView(t *testing.T) {
	scenarios := []tests.ApiScenario{
		{
			Name:            "guest lists nothing",
			Method:          http.MethodGet,
			URL:             aisURL,
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":0`},
		},
		{
			Name:               "member lists the visible ready models, without model or dataset",
			Method:             http.MethodGet,
			URL:                aisURL,
			Headers:            testapp.Auth(testapp.Alice),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"totalItems":2`, `"id":"` + mReady + `"`, `"id":"` + mText + `"`, `"metrics":`},
			NotExpectedContent: []string{mHidden, mDraft, `"model":`, `"dataset":`, `"options":`},
			ExpectedEvents:     map[string]int{"OnRecordsListRequest": 1, "OnRecordEnrich": 2},
		},
		{
			Name:            "admin lists every model, with model and dataset",
			Method:          http.MethodGet,
			URL:             aisURL,
			Headers:         testapp.Auth(testapp.Adam),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":4`, mHidden, mDraft, `"model":{"features":["x0","x1"]`, `"dataset":""`, `"options":{"target":"y"}`},
		},
		{
			Name:            "superuser lists every model, with model",
			Method:          http.MethodGet,
			URL:             aisURL,
			Headers:         testapp.Auth("root"),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":4`, `"model":{"features":["x0","x1"]`, `"options":{"target":"y"}`},
		},
		{
			Name:            "banned member is refused",
			Method:          http.MethodGet,
			URL:             aisURL,
			Headers:         testapp.Auth(testapp.Ben),
			ExpectedStatus:  401,
			ExpectedContent: []string{`"status":401`},
		},
		{
			Name:               "member views a visible ready model, without the model but with its input features",
			Method:             http.MethodGet,
			URL:                aisURL + "/" + mReady,
			Headers:            testapp.Auth(testapp.Alice),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"id":"` + mReady + `"`, `"status":"ready"`, `"input_features":["x0","x1"]`},
			NotExpectedContent: []string{`"model":`, `"dataset":`, `"options":`},
		},
		{
			Name:            "member cannot view a hidden model",
			Method:          http.MethodGet,
			URL:             aisURL + "/" + mHidden,
			Headers:         testapp.Auth(testapp.Alice),
			ExpectedStatus:  404,
			ExpectedContent: []string{`"status":404`},
		},
		{
			Name:            "member cannot view a draft",
			Method:          http.MethodGet,
			URL:             aisURL + "/" + mDraft,
			Headers:         testapp.Auth(testapp.Alice),
			ExpectedStatus:  404,
			ExpectedContent: []string{`"status":404`},
		},
		{
			Name:            "guest cannot view a visible ready model",
			Method:          http.MethodGet,
			URL:             aisURL + "/" + mReady,
			ExpectedStatus:  404,
			ExpectedContent: []string{`"status":404`},
		},
		{
			Name:            "admin views a hidden model with its model",
			Method:          http.MethodGet,
			URL:             aisURL + "/" + mHidden,
			Headers:         testapp.Auth(testapp.Adam),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"model":{"features":["x0","x1"]`},
		},
		{
			Name:               "members cannot probe the hidden model with a filter",
			Method:             http.MethodGet,
			URL:                aisURL + "?filter=" + urlQuery(`model~"coefficients"`),
			Headers:            testapp.Auth(testapp.Alice),
			ExpectedStatus:     400,
			ExpectedContent:    []string{`"status":400`},
			NotExpectedContent: []string{mReady},
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = modelsFactory
		s.Test(t)
	}
}

// An openai_chat model's options hold its system prompt and the model
// server's address, often an internal one: members use the model without
// them, and cannot find them out by filter, sort or expand.
func TestModelOptionsAreAdminsOnly(t *testing.T) {
	mChat := testapp.ID("mchat")
	jobURL := "/api/collections/" + ai.Jobs + "/records"
	factory := func(t testing.TB) *tests.TestApp {
		app := modelsFactory(t)
		saveModel(t, app, mChat, "chat-model", "openai_chat", ai.StatusReady, true, "",
			`{"base_url":"http://10.20.30.40:8000/v1","model":"qwen","system_prompt":"비밀 지시문"}`)
		saveJob(t, app, testapp.ID("chatjob"), alice, mChat, ai.JobSucceeded, `{"prompt":"안녕"}`)
		return app
	}
	secrets := []string{`"options":`, "10.20.30.40", "비밀 지시문", "qwen"}
	scenarios := []tests.ApiScenario{
		{
			Name:               "a member views the chat model without its options",
			Method:             http.MethodGet,
			URL:                aisURL + "/" + mChat,
			Headers:            testapp.Auth(testapp.Alice),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"id":"` + mChat + `"`, `"kind":"openai_chat"`},
			NotExpectedContent: secrets,
		},
		{
			Name:               "a member's job expanded to its model shows no options",
			Method:             http.MethodGet,
			URL:                jobURL + "/" + testapp.ID("chatjob") + "?expand=ai",
			Headers:            testapp.Auth(testapp.Alice),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"expand":{"ai":{`, `"name":"chat-model"`},
			NotExpectedContent: secrets,
		},
		{
			Name:               "a member's filter on the system prompt is refused",
			Method:             http.MethodGet,
			URL:                aisURL + "?filter=" + urlQuery(`options.system_prompt~"비밀"`),
			Headers:            testapp.Auth(testapp.Alice),
			ExpectedStatus:     400,
			ExpectedContent:    []string{`"status":400`},
			NotExpectedContent: []string{mChat},
		},
		{
			Name:               "a member's filter on the server address through a job is refused",
			Method:             http.MethodGet,
			URL:                jobURL + "?filter=" + urlQuery(`ai.options.base_url~"10.20"`),
			Headers:            testapp.Auth(testapp.Alice),
			ExpectedStatus:     400,
			ExpectedContent:    []string{`"status":400`},
			NotExpectedContent: []string{testapp.ID("chatjob")},
		},
		{
			Name:               "a member's sort on options is refused",
			Method:             http.MethodGet,
			URL:                aisURL + "?sort=options.base_url",
			Headers:            testapp.Auth(testapp.Alice),
			ExpectedStatus:     400,
			ExpectedContent:    []string{`"status":400`},
			NotExpectedContent: []string{mChat},
		},
		{
			Name:            "an admin sees the options and filters on them",
			Method:          http.MethodGet,
			URL:             aisURL + "?filter=" + urlQuery(`options.system_prompt~"비밀"`),
			Headers:         testapp.Auth(testapp.Adam),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":1`, `"base_url":"http://10.20.30.40:8000/v1"`, `"system_prompt":"비밀 지시문"`},
		},
		{
			Name:            "a superuser sees them too",
			Method:          http.MethodGet,
			URL:             aisURL + "/" + mChat,
			Headers:         testapp.Auth("root"),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"system_prompt":"비밀 지시문"`},
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

func TestModelsWrite(t *testing.T) {
	create := `{"name":"new-model","kind":"linear_regression","options":{"target":"y"},"is_visible":true}`
	var scenarios []tests.ApiScenario
	for _, who := range []struct {
		name   string
		status int
	}{
		{"", 400},
		{testapp.Alice, 400},
		{testapp.Ben, 401},
	} {
		before, after := testapp.Unchanged()
		scenarios = append(scenarios,
			tests.ApiScenario{
				Name:            "create by " + nameOf(who.name) + " is refused",
				Method:          http.MethodPost,
				URL:             aisURL,
				Body:            strings.NewReader(create),
				Headers:         authOf(who.name),
				ExpectedStatus:  who.status,
				ExpectedContent: []string{`"status":`},
				BeforeTestFunc:  before,
				AfterTestFunc:   after,
			})
		before, after = testapp.Unchanged()
		updateStatus := 404
		if who.status == 401 {
			updateStatus = 401
		}
		scenarios = append(scenarios,
			tests.ApiScenario{
				Name:            "update by " + nameOf(who.name) + " is refused",
				Method:          http.MethodPatch,
				URL:             aisURL + "/" + mReady,
				Body:            strings.NewReader(`{"description":"mine now"}`),
				Headers:         authOf(who.name),
				ExpectedStatus:  updateStatus,
				ExpectedContent: []string{`"status":`},
				BeforeTestFunc:  before,
				AfterTestFunc:   after,
			})
		before, after = testapp.Unchanged()
		scenarios = append(scenarios,
			tests.ApiScenario{
				Name:            "delete by " + nameOf(who.name) + " is refused",
				Method:          http.MethodDelete,
				URL:             aisURL + "/" + mReady,
				Headers:         authOf(who.name),
				ExpectedStatus:  updateStatus,
				ExpectedContent: []string{`"status":`},
				BeforeTestFunc:  before,
				AfterTestFunc:   after,
			})
	}
	scenarios = append(scenarios,
		tests.ApiScenario{
			Name:   "admin creates a draft; server-set fields are ignored",
			Method: http.MethodPost,
			URL:    aisURL,
			Body: strings.NewReader(`{"name":"new-model","kind":"linear_regression","is_visible":true,` +
				`"status":"ready","metrics":{"r2":1},"error":"x","trained_at":"2030-01-01 00:00:00Z"}`),
			Headers:            testapp.Auth(testapp.Adam),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"name":"new-model"`, `"status":"draft"`, `"error":""`, `"trained_at":""`, `"metrics":null`},
			NotExpectedContent: []string{`"r2"`},
			ExpectedEvents:     testapp.CreateEvents(),
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(ai.Models); n != fixtureModels+1 {
					t.Fatalf("%d models", n)
				}
			},
		},
		tests.ApiScenario{
			Name:            "superuser creates a model",
			Method:          http.MethodPost,
			URL:             aisURL,
			Body:            strings.NewReader(create),
			Headers:         testapp.Auth("root"),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"status":"draft"`},
			ExpectedEvents:  testapp.CreateEvents(),
		},
		func() tests.ApiScenario {
			before, after := testapp.Unchanged()
			return tests.ApiScenario{
				Name:            "a second model of the same name in other case is refused",
				Method:          http.MethodPost,
				URL:             aisURL,
				Body:            strings.NewReader(`{"name":"READY-model","kind":"linear_regression"}`),
				Headers:         testapp.Auth(testapp.Adam),
				ExpectedStatus:  400,
				ExpectedContent: []string{`"name":{"code":`},
				BeforeTestFunc:  before,
				AfterTestFunc:   after,
			}
		}(),
		func() tests.ApiScenario {
			before, after := testapp.Unchanged()
			return tests.ApiScenario{
				Name:            "a blank name is refused, and a name with a control character",
				Method:          http.MethodPost,
				URL:             aisURL,
				Body:            strings.NewReader(`{"name":"   ","kind":"linear_regression","description":"a\u0000b"}`),
				Headers:         testapp.Auth(testapp.Adam),
				ExpectedStatus:  400,
				ExpectedContent: []string{`"name":{"code":"validation_required"`},
				BeforeTestFunc:  before,
				AfterTestFunc:   after,
			}
		}(),
		func() tests.ApiScenario {
			before, after := testapp.Unchanged()
			return tests.ApiScenario{
				Name:            "a name differing by surrounding spaces is the same name",
				Method:          http.MethodPost,
				URL:             aisURL,
				Body:            strings.NewReader(`{"name":"ready-model ","kind":"linear_regression"}`),
				Headers:         testapp.Auth(testapp.Adam),
				ExpectedStatus:  400,
				ExpectedContent: []string{`"name":{"code":"validation_not_unique"`},
				BeforeTestFunc:  before,
				AfterTestFunc:   after,
			}
		}(),
		func() tests.ApiScenario {
			before, after := testapp.Unchanged()
			return tests.ApiScenario{
				Name:            "an unknown kind is refused",
				Method:          http.MethodPost,
				URL:             aisURL,
				Body:            strings.NewReader(`{"name":"x","kind":"gpt"}`),
				Headers:         testapp.Auth(testapp.Adam),
				ExpectedStatus:  400,
				ExpectedContent: []string{`"kind":{"code":`},
				BeforeTestFunc:  before,
				AfterTestFunc:   after,
			}
		}(),
		tests.ApiScenario{
			Name:            "admin updates the description; status and model stay",
			Method:          http.MethodPatch,
			URL:             aisURL + "/" + mReady,
			Body:            strings.NewReader(`{"description":"better words","status":"failed","error":"no"}`),
			Headers:         testapp.Auth(testapp.Adam),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"description":"better words"`, `"status":"ready"`, `"error":""`, `"model":{"features":["x0","x1"]`},
			ExpectedEvents:  testapp.UpdateEvents(),
		},
		tests.ApiScenario{
			Name:               "changing the kind sends the model back to draft",
			Method:             http.MethodPatch,
			URL:                aisURL + "/" + mReady,
			Body:               strings.NewReader(`{"kind":"text_classifier"}`),
			Headers:            testapp.Auth(testapp.Adam),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"kind":"text_classifier"`, `"status":"draft"`, `"model":null`},
			NotExpectedContent: []string{`"coefficients"`},
			ExpectedEvents:     testapp.UpdateEvents(),
		},
		tests.ApiScenario{
			Name:               "changing the options of a ready model sends it back to draft; its fitted model stays for the admin",
			Method:             http.MethodPatch,
			URL:                aisURL + "/" + mReady,
			Body:               strings.NewReader(`{"options":{"target":"x0"}}`),
			Headers:            testapp.Auth(testapp.Adam),
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"options":{"target":"x0"}`, `"status":"draft"`, `"model":{"features":["x0","x1"]`},
			NotExpectedContent: []string{`"status":"ready"`},
			ExpectedEvents:     testapp.UpdateEvents(),
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := modelStatus(t, app, mReady); got != ai.StatusDraft {
					t.Fatalf("stored status %s", got)
				}
			},
		},
		tests.ApiScenario{
			Name:            "a superuser's options change in the dashboard sends a ready model back to draft too",
			Method:          http.MethodPatch,
			URL:             aisURL + "/" + mText,
			Body:            strings.NewReader(`{"options":{"text_column":"body"}}`),
			Headers:         testapp.Auth("root"),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"options":{"text_column":"body"}`, `"status":"draft"`},
			ExpectedEvents:  testapp.UpdateEvents(),
		},
		tests.ApiScenario{
			Name:            "the same options, spaced otherwise, keep the model ready",
			Method:          http.MethodPatch,
			URL:             aisURL + "/" + mReady,
			Body:            strings.NewReader(`{"options":"{\n  \"target\" : \"y\"\n}","description":"same options"}`),
			Headers:         testapp.Auth(testapp.Adam),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"description":"same options"`, `"status":"ready"`},
			ExpectedEvents:  testapp.UpdateEvents(),
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := modelStatus(t, app, mReady); got != ai.StatusReady {
					t.Fatalf("stored status %s", got)
				}
			},
		},
		tests.ApiScenario{
			Name:           "admin deletes a model and with it its jobs",
			Method:         http.MethodDelete,
			URL:            aisURL + "/" + mReady,
			Headers:        testapp.Auth(testapp.Adam),
			ExpectedStatus: 204,
			ExpectedEvents: testapp.DeleteEvents(1 + fixtureJobs),
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := countJobs(t, app); n != 0 {
					t.Fatalf("%d jobs left", n)
				}
			},
		},
	)
	for _, s := range scenarios {
		s.TestAppFactory = modelsFactory
		s.Test(t)
	}
}

func TestTrainRoute(t *testing.T) {
	trainURL := func(id string) string { return "/api/ais/" + id + "/train" }
	var scenarios []tests.ApiScenario
	for _, c := range []struct {
		name, user, url string
		status          int
		content         string
	}{
		{"guest", "", trainURL(mDraft), 401, `"status":401`},
		{"member", testapp.Alice, trainURL(mReady), 403, `Only admins can train models.`},
		{"banned member", testapp.Ben, trainURL(mReady), 401, `"status":401`},
		{"unknown model", testapp.Adam, trainURL("nope"), 404, `No model with this id.`},
		{"model without dataset", testapp.Adam, trainURL(mDraft), 400, `"dataset":{"code":"dataset_required","message":"A linear_regression model needs a dataset`},
	} {
		before, after := testapp.Unchanged()
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            c.name + " is refused",
			Method:          http.MethodPost,
			URL:             c.url,
			Headers:         authOf(c.user),
			ExpectedStatus:  c.status,
			ExpectedContent: []string{c.content},
			BeforeTestFunc:  before,
			AfterTestFunc:   after,
		})
	}
	// a body train cannot read is refused before the training is queued
	// (a model it would train: openai_chat needs no dataset)
	for contentType, body := range map[string]string{"application/x-www-form-urlencoded": "%ZZ", "text/plain": "garbage"} {
		before, after := testapp.Unchanged()
		scenarios = append(scenarios, tests.ApiScenario{
			Name:   "a " + contentType + " body that cannot be read is refused",
			Method: http.MethodPost,
			URL:    trainURL(mScriptGood),
			Body:   strings.NewReader(body),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				saveModel(t, app, mScriptGood, "chat-good", "openai_chat", ai.StatusDraft, true, "", `{"base_url":"http://127.0.0.1:9","model":"m"}`)
				before(t, app, e)
			},
			Headers:         map[string]string{"Authorization": testapp.Token(testapp.Adam), "Content-Type": contentType},
			ExpectedStatus:  400,
			ExpectedContent: []string{`The request body could not be read; train takes no body`},
			AfterTestFunc:   after,
		})
	}
	before, after := testapp.Unchanged()
	scenarios = append(scenarios, tests.ApiScenario{
		Name:   "bad options are refused",
		Method: http.MethodPost,
		URL:    trainURL(mScriptBad),
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
			saveModel(t, app, mScriptBad, "chat-bad", "openai_chat", ai.StatusDraft, true, "", `{"base_url":"ftp://x","model":"m"}`)
			before(t, app, e)
		},
		Headers:         testapp.Auth(testapp.Adam),
		ExpectedStatus:  400,
		ExpectedContent: []string{`"options":{"code":"invalid_options","message":"options.base_url must be an http(s) URL`},
		AfterTestFunc:   after,
	})
	for _, s := range scenarios {
		s.TestAppFactory = modelsFactory
		s.Test(t)
	}
}

var (
	mScriptBad  = testapp.ID("mchatbad")
	mScriptGood = testapp.ID("mchatgood")
)

func TestStatsRoute(t *testing.T) {
	scenarios := []tests.ApiScenario{
		{Name: "guest", Method: http.MethodGet, URL: "/api/ai/stats", ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "member", Method: http.MethodGet, URL: "/api/ai/stats", Headers: testapp.Auth(testapp.Alice),
			ExpectedStatus: 403, ExpectedContent: []string{`Only admins can see AI statistics.`}},
		{Name: "admin", Method: http.MethodGet, URL: "/api/ai/stats", Headers: testapp.Auth(testapp.Adam),
			ExpectedStatus: 200, ExpectedContent: []string{`"queue":{"workers":`, `"jobs":{"queued":0,"running":0,"succeeded":2`,
				`"name":"ready-model"`, `"succeeded":2`}},
		{Name: "superuser", Method: http.MethodGet, URL: "/api/ai/stats", Headers: testapp.Auth("root"),
			ExpectedStatus: 200, ExpectedContent: []string{`"models":[`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = modelsFactory
		s.Test(t)
	}
}

func nameOf(user string) string {
	if user == "" {
		return "guest"
	}
	return user
}

func authOf(user string) map[string]string {
	if user == "" {
		return nil
	}
	return testapp.Auth(user)
}

func urlQuery(s string) string {
	return strings.NewReplacer(" ", "%20", `"`, "%22", "~", "%7E", "=", "%3D", "&", "%26").Replace(s)
}
