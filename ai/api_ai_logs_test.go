package ai_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"madang/ai"
	"madang/internal/testapp"
)

const logsURL = "/api/collections/ai_logs/records"

func TestJobsReadRules(t *testing.T) {
	scenarios := []tests.ApiScenario{
		{Name: "guest lists nothing", Method: http.MethodGet, URL: logsURL,
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`}},
		{Name: "member lists own jobs only", Method: http.MethodGet, URL: logsURL, Headers: testapp.Auth(testapp.Alice),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, jAlice}, NotExpectedContent: []string{jBob}},
		{Name: "admin lists every job", Method: http.MethodGet, URL: logsURL, Headers: testapp.Auth(testapp.Adam),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":2`, jAlice, jBob}},
		{Name: "superuser lists every job", Method: http.MethodGet, URL: logsURL, Headers: testapp.Auth("root"),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":2`}},
		{Name: "banned member is refused", Method: http.MethodGet, URL: logsURL, Headers: testapp.Auth(testapp.Ben),
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "member views own job", Method: http.MethodGet, URL: logsURL + "/" + jAlice, Headers: testapp.Auth(testapp.Alice),
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + jAlice + `"`, `"is_finished":true`}},
		{Name: "member cannot view another's job", Method: http.MethodGet, URL: logsURL + "/" + jBob, Headers: testapp.Auth(testapp.Alice),
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "guest cannot view a job", Method: http.MethodGet, URL: logsURL + "/" + jAlice,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "admin views any job", Method: http.MethodGet, URL: logsURL + "/" + jBob, Headers: testapp.Auth(testapp.Adam),
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + jBob + `"`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = modelsFactory
		s.Test(t)
	}
}

// TestJobsWriteRules: jobs are created only by the infer route and changed
// only by the queue; through the records API only superusers write.
func TestJobsWriteRules(t *testing.T) {
	body := fmt.Sprintf(`{"user":%q,"ai":%q,"input":{"features":{"x0":1,"x1":1}},"status":"succeeded"}`, alice, mReady)
	var scenarios []tests.ApiScenario
	refuse := func(name, method, url, body string, headers map[string]string, status int) {
		before, after := testapp.Unchanged()
		scenarios = append(scenarios, tests.ApiScenario{
			Name: name, Method: method, URL: url, Body: strings.NewReader(body), Headers: headers,
			ExpectedStatus: status, ExpectedContent: []string{`"status":`},
			BeforeTestFunc: before, AfterTestFunc: after,
		})
	}
	// only the routes create jobs
	for _, who := range []string{"", testapp.Alice, testapp.Adam} {
		refuse("create by "+nameOf(who)+" is refused", http.MethodPost, logsURL, body, authOf(who), 403)
	}
	refuse("create by a banned member is refused", http.MethodPost, logsURL, body, authOf(testapp.Ben), 401)
	// a job is its owner's to edit (the description) and delete; admins delete too
	for _, who := range []string{"", testapp.Bob, testapp.Adam} {
		refuse("update by "+nameOf(who)+" is refused", http.MethodPatch, logsURL+"/"+jAlice, `{"description":"mine now"}`, authOf(who), 404)
	}
	for _, who := range []string{"", testapp.Bob} {
		refuse("delete by "+nameOf(who)+" is refused", http.MethodDelete, logsURL+"/"+jAlice, "", authOf(who), 404)
	}
	refuse("update by a banned member is refused", http.MethodPatch, logsURL+"/"+jAlice, `{"description":"x"}`, authOf(testapp.Ben), 401)
	refuse("the owner's description with a control character is refused", http.MethodPatch, logsURL+"/"+jAlice, `{"description":"a\u0000b"}`, authOf(testapp.Alice), 400)
	scenarios = append(scenarios,
		tests.ApiScenario{
			Name:   "the owner edits the description; the rest stays the server's",
			Method: http.MethodPatch, URL: logsURL + "/" + jAlice, Headers: testapp.Auth(testapp.Alice),
			Body:           strings.NewReader(`{"description":"my note","status":"failed","result":{"predictions":[0]},"user":"` + bob + `"}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"description":"my note"`, `"status":"succeeded"`, `"user":"` + alice + `"`},
			ExpectedEvents: testapp.UpdateEvents(),
		},
		tests.ApiScenario{
			Name:   "the owner deletes a job",
			Method: http.MethodDelete, URL: logsURL + "/" + jAlice, Headers: testapp.Auth(testapp.Alice),
			ExpectedStatus: 204, ExpectedEvents: testapp.DeleteEvents(1),
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := countJobs(t, app); n != fixtureJobs-1 {
					t.Fatalf("%d jobs", n)
				}
			},
		},
		tests.ApiScenario{
			Name:   "an admin deletes a member's job",
			Method: http.MethodDelete, URL: logsURL + "/" + jAlice, Headers: testapp.Auth(testapp.Adam),
			ExpectedStatus: 204, ExpectedEvents: testapp.DeleteEvents(1),
		},
		tests.ApiScenario{
			Name:   "superuser deletes a job",
			Method: http.MethodDelete, URL: logsURL + "/" + jAlice, Headers: testapp.Auth("root"),
			ExpectedStatus: 204, ExpectedEvents: testapp.DeleteEvents(1),
		},
	)
	for _, s := range scenarios {
		s.TestAppFactory = modelsFactory
		s.Test(t)
	}
}

func inferURL(model string) string { return "/api/ais/" + model + "/infer" }

// queuedEvents are the events of an infer request: the route creates the
// job and answers it enriched. A worker takes the job at once, and its
// writes (running, the result) land before the count or after it, so
// updates and validations are left out.
func queuedEvents() map[string]int {
	events := testapp.Events{Created: 1, Enriched: 1}.Map()
	for _, racing := range []string{"OnRecordUpdate", "OnRecordUpdateExecute", "OnRecordAfterUpdateSuccess",
		"OnRecordValidate", "OnModelValidate"} {
		delete(events, racing)
	}
	return events
}

func TestInferRoute(t *testing.T) {
	valid := `{"input":{"features":{"x0":1,"x1":2}},"description":"my first job"}`
	var scenarios []tests.ApiScenario
	for _, c := range []struct {
		name, user, model, body string
		status                  int
		content                 string
	}{
		{"guest", "", mReady, valid, 401, `"status":401`},
		{"banned member", testapp.Ben, mReady, valid, 401, `"status":401`},
		{"superuser (jobs belong to users)", "root", mReady, valid, 403, `"status":403`},
		{"member on a hidden model", testapp.Alice, mHidden, valid, 404, `No model with this id.`},
		{"member on an unknown model", testapp.Alice, "nope", valid, 404, `No model with this id.`},
		{"member on a visible draft (which they cannot view)", testapp.Alice, mDraft, valid, 404, `No model with this id.`},
		{"admin on a draft", testapp.Adam, mDraft, valid, 409, `is not ready`},
		{"a body that is not JSON", testapp.Alice, mReady, `{"input":`, 400, `The request body is not valid JSON: unexpected EOF`},
		{"a body with trailing garbage", testapp.Alice, mReady, valid + `garbage`, 400, `The request body is not valid JSON: more follows its first value`},
		{"a body of two JSON values", testapp.Alice, mReady, valid + valid, 400, `The request body is not valid JSON: more follows its first value`},
		{"a body that is no object", testapp.Alice, mReady, `["input"]`, 400, `The request body must be a JSON object, not an array.`},
		{"a description that is no string", testapp.Alice, mReady, `{"input":{"features":{"x0":1,"x1":2}},"description":5}`, 400,
			`Send a string for \"description\", not a number.`},
		{"an input just over 4 MB", testapp.Alice, mText, `{"input":{"text":"` + strings.Repeat("a", 4<<20) + `"}}`, 400,
			`"input":{"code":"too_large","message":"input is 4194315 bytes; at most 4194304 (4 MB) are allowed per job."}`},
		{"a description over 256 characters", testapp.Alice, mReady,
			`{"input":{"features":{"x0":1,"x1":2}},"description":"` + strings.Repeat("말", 257) + `"}`,
			400, `"description":{"code":"too_long","message":"description has 257 characters; at most 256 are allowed."}`},
		{"a description with a terminal escape", testapp.Alice, mReady,
			`{"input":{"features":{"x0":1,"x1":2}},"description":"esc \u001b[2J"}`,
			400, `"description":{"code":"validation_control_character","message":"Remove the control character U+001B from description."}`},
		{"a description with a NUL", testapp.Alice, mReady,
			`{"input":{"features":{"x0":1,"x1":2}},"description":"a\u0000b"}`,
			400, `"description":{"code":"validation_control_character","message":"Remove the control character U+0000 from description."}`},
	} {
		before, after := testapp.Unchanged()
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            c.name + " is refused",
			Method:          http.MethodPost,
			URL:             inferURL(c.model),
			Body:            strings.NewReader(c.body),
			Headers:         authOf(c.user),
			ExpectedStatus:  c.status,
			ExpectedContent: []string{c.content},
			BeforeTestFunc:  before,
			AfterTestFunc:   after,
		})
	}

	rows := make([]string, 1001)
	for i := range rows {
		rows[i] = `{"x0":1,"x1":2}`
	}
	for _, c := range []struct {
		name, model, input, message string
	}{
		{"an unknown feature", mReady, `{"features":{"x0":1,"x1":2,"x9":3}}`, `input.features has unknown feature \"x9\"`},
		{"a missing feature", mReady, `{"features":{"x0":1}}`, `input.features is missing feature \"x1\"`},
		{"a non-numeric value", mReady, `{"features":{"x0":"abc","x1":2}}`, `input.features.x0 must be a number, not the string \"abc\".`},
		{"NaN sent as a string", mReady, `{"rows":[{"x0":1,"x1":2},{"x0":"NaN","x1":2}]}`, `input.rows[1].x0 must be a number, not the string \"NaN\".`},
		{"a huge number", mReady, `{"features":{"x0":1e999,"x1":2}}`, `input.features.x0 is out of range`},
		{"over 1,000 rows", mReady, `{"rows":[` + strings.Join(rows, ",") + `]}`, `input.rows has 1001 rows; send at most 1000 per job.`},
		{"no rows", mReady, `{"rows":[]}`, `input.rows is empty`},
		{"an empty input", mReady, `{}`, `input needs \"features\" (one row) or \"rows\"`},
		{"no input at all", mReady, `null`, `input is required.`},
		{"a text over 10,000 characters", mText, `{"text":"` + strings.Repeat("가", 10001) + `"}`, `input.text has 10001 characters; at most 10000 are allowed.`},
		{"an empty text", mText, `{"text":"  "}`, `input.text is empty`},
		{"a number instead of a text", mText, `{"text":5}`, `input.text must be a string`},
	} {
		before, after := testapp.Unchanged()
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            "input with " + c.name + " is refused and nothing is queued",
			Method:          http.MethodPost,
			URL:             inferURL(c.model),
			Body:            strings.NewReader(`{"input":` + c.input + `}`),
			Headers:         testapp.Auth(testapp.Alice),
			ExpectedStatus:  400,
			ExpectedContent: []string{`"input":{"code":"invalid_input","message":"` + c.message},
			BeforeTestFunc:  before,
			AfterTestFunc:   after,
		})
	}

	queued := func(user string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			jobs, err := app.FindAllRecords(ai.Jobs)
			if err != nil || len(jobs) != fixtureJobs+1 {
				t.Fatalf("%d jobs, %v", len(jobs), err)
			}
			found := false
			for _, j := range jobs {
				found = found || (j.GetString("user") == user && j.GetString("description") == "my first job")
			}
			if !found {
				t.Fatal("the new job is not the requester's")
			}
		}
	}
	scenarios = append(scenarios,
		tests.ApiScenario{
			Name:            "member queues a job on a visible ready model",
			Method:          http.MethodPost,
			URL:             inferURL(mReady),
			Body:            strings.NewReader(valid),
			Headers:         testapp.Auth(testapp.Alice),
			ExpectedStatus:  202,
			ExpectedContent: []string{`"status":"queued"`, `"user":"` + alice + `"`, `"ai":"` + mReady + `"`, `"is_finished":false`, `"input":{"features":{"x0":1,"x1":2}}`},
			ExpectedEvents:  queuedEvents(),
			AfterTestFunc:   queued(alice),
		},
		tests.ApiScenario{
			Name:            "the requester's id wins over a user in the body",
			Method:          http.MethodPost,
			URL:             inferURL(mReady),
			Body:            strings.NewReader(`{"input":{"features":{"x0":1,"x1":2}},"description":"my first job","user":"` + bob + `"}`),
			Headers:         testapp.Auth(testapp.Alice),
			ExpectedStatus:  202,
			ExpectedContent: []string{`"user":"` + alice + `"`},
			ExpectedEvents:  queuedEvents(),
			AfterTestFunc:   queued(alice),
		},
		tests.ApiScenario{
			Name:            "admin queues a job on a hidden ready model",
			Method:          http.MethodPost,
			URL:             inferURL(mHidden),
			Body:            strings.NewReader(valid),
			Headers:         testapp.Auth(testapp.Adam),
			ExpectedStatus:  202,
			ExpectedContent: []string{`"status":"queued"`, `"user":"` + adam + `"`},
			ExpectedEvents:  queuedEvents(),
			AfterTestFunc:   queued(adam),
		},
	)
	for _, s := range scenarios {
		s.TestAppFactory = modelsFactory
		s.Test(t)
	}
}

func TestCancelRoute(t *testing.T) {
	cancelURL := func(id string) string { return "/api/ai_logs/" + id + "/cancel" }
	var scenarios []tests.ApiScenario
	for _, c := range []struct {
		name, user string
		status     int
	}{
		{"guest", "", 401},
		{"banned member", testapp.Ben, 401},
		{"another member", testapp.Bob, 404},
	} {
		before, after := testapp.Unchanged()
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            c.name + " cannot cancel alice's job",
			Method:          http.MethodPost,
			URL:             cancelURL(jAlice),
			Headers:         authOf(c.user),
			ExpectedStatus:  c.status,
			ExpectedContent: []string{`"status":`},
			BeforeTestFunc:  before,
			AfterTestFunc:   after,
		})
	}
	for _, who := range []string{testapp.Alice, testapp.Adam, "root"} {
		before, after := testapp.Unchanged()
		scenarios = append(scenarios, tests.ApiScenario{
			Name:            who + " cancels a finished job: it stays as it was",
			Method:          http.MethodPost,
			URL:             cancelURL(jAlice),
			Headers:         testapp.Auth(who),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"status":"succeeded"`, `"is_finished":true`},
			ExpectedEvents:  testapp.Events{Enriched: 1}.Map(),
			BeforeTestFunc:  before,
			AfterTestFunc:   after,
		})
	}
	scenarios = append(scenarios, tests.ApiScenario{
		Name:            "unknown job",
		Method:          http.MethodPost,
		URL:             cancelURL("nope"),
		Headers:         testapp.Auth(testapp.Adam),
		ExpectedStatus:  404,
		ExpectedContent: []string{`No job with this id.`},
	})
	for _, s := range scenarios {
		s.TestAppFactory = modelsFactory
		s.Test(t)
	}
}

// TestOwnCancelNotifiesNobody: a job that ran 10 s or more and ends while
// its user does not watch it is notified (ai_job), unless the user ended it
// themselves — a cancel of their own is no news to them; an admin's cancel
// of it is. Until 2026-12-04 the user's own cancel notified them.
func TestOwnCancelNotifiesNobody(t *testing.T) {
	app, base := serve(t, nil)
	// running jobs of an earlier process (the queue does not hold them),
	// started 20 s ago
	own := saveJob(t, app, "", alice, mReady, ai.JobRunning, `{"features":{"x0":1,"x1":1}}`)
	other := saveJob(t, app, "", alice, mReady, ai.JobRunning, `{"features":{"x0":1,"x1":1}}`)
	for _, id := range []string{own.Id, other.Id} {
		_, err := app.DB().NewQuery("UPDATE ai_logs SET created = strftime('%Y-%m-%d %H:%M:%fZ', 'now', '-20 seconds') WHERE id = {:id}").
			Bind(dbx.Params{"id": id}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
	notices := func(job string) int {
		n, err := app.CountRecords("notifications", dbx.HashExp{"user": alice, "kind": "ai_job", "job": job})
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	cancel := func(who, id string) {
		r := testapp.Call(t, http.MethodPost, base+"/api/ai_logs/"+id+"/cancel", testapp.Token(who), nil)
		if r.Status != 200 || r.Body["status"] != ai.JobCanceled {
			t.Fatalf("%s canceling %s: %d %s", who, id, r.Status, r.Raw)
		}
	}
	cancel(testapp.Alice, own.Id)
	cancel(testapp.Adam, other.Id)
	if n := notices(own.Id); n != 0 {
		t.Errorf("alice's own cancel: %d notices, want none", n)
	}
	if n := notices(other.Id); n != 1 {
		t.Errorf("an admin's cancel of alice's job: %d notices, want 1", n)
	}
}
