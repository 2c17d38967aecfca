package ai_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"madang/ai"
	"madang/internal/testapp"
)

// TestChatRedirectKeepsTheKeyHome: a keyed model server that redirects to
// another origin (here another port of the same host, where Go keeps the
// Authorization header) fails the job; the other server never sees the
// key. A redirect within the origin is followed, key and all.
func TestChatRedirectKeepsTheKeyHome(t *testing.T) {
	var mu sync.Mutex
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere = append(elsewhere, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no", http.StatusTeapot)
	}))
	t.Cleanup(other.Close)
	var keyed *httptest.Server
	var seen []string
	keyed = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		switch r.URL.Path {
		case "/away/chat/completions":
			http.Redirect(w, r, other.URL+"/echo/chat/completions", http.StatusTemporaryRedirect)
		case "/home/chat/completions":
			http.Redirect(w, r, keyed.URL+"/v1/chat/completions", http.StatusTemporaryRedirect)
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"hello\"}}]}\n\ndata: [DONE]\n\n")
		}
	}))
	t.Cleanup(keyed.Close)

	app, base := serve(t, map[string]string{ai.KeysEnv: keyed.URL + "=sk-SECRET", ai.APIKeyEnv: ""})
	away := saveModel(t, app, "", "away", "openai_chat", ai.StatusReady, true, `{}`,
		`{"base_url":"`+keyed.URL+`/away","model":"m"}`).Id
	home := saveModel(t, app, "", "home", "openai_chat", ai.StatusReady, true, `{}`,
		`{"base_url":"`+keyed.URL+`/home","model":"m"}`).Id

	job := waitJob(t, app, mustQueue(t, base, testapp.Alice, away, map[string]any{"prompt": "hi"}), ai.JobFailed, ai.JobSucceeded)
	// the target is the operator's to read in the log, not the member's
	want := "Could not reach the model server: the model server redirected to another origin; set options.base_url to the address that answers."
	if job.GetString("status") != ai.JobFailed || job.GetString("error") != want || job.GetString("result") != "null" {
		t.Errorf("job: %s %q result %s, want failed %q", job.GetString("status"), job.GetString("error"), job.GetString("result"), want)
	}
	mu.Lock()
	if len(elsewhere) != 0 {
		t.Errorf("the other origin got requests with Authorization %q", elsewhere)
	}
	mu.Unlock()

	job = waitJob(t, app, mustQueue(t, base, testapp.Alice, home, map[string]any{"prompt": "hi"}), ai.JobFailed, ai.JobSucceeded)
	if job.GetString("status") != ai.JobSucceeded || job.GetString("result") != `{"text":"hello"}` {
		t.Errorf("same-origin redirect: %s %q %s", job.GetString("status"), job.GetString("error"), job.GetString("result"))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 || seen[1] != "/home/chat/completions Bearer sk-SECRET" || seen[2] != "/v1/chat/completions Bearer sk-SECRET" {
		t.Errorf("keyed server saw %q", seen)
	}
}
