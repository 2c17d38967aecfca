package ai_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madang/ai"
	"madang/internal/testapp"
)

// TestChatJobsNeverStoreTheKey: a keyed model server that echoes the
// Authorization header in its status line, or at the end of an error body
// cut by Madang's read limit, or in its reply, leaves no part of the key in
// what the job's member reads. Until 2026-12-04 the first two stored the
// key in ai_logs.error (whole, and all but its last character).
func TestChatJobsNeverStoreTheKey(t *testing.T) {
	const key = "sk-SECRET-p14-key-XYZ"
	keyed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		echo := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch r.URL.Path {
		case "/reason/chat/completions":
			conn, buf, _ := w.(http.Hijacker).Hijack()
			buf.WriteString("HTTP/1.1 401 Unauthorized " + echo + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
			buf.Flush()
			conn.Close()
		case "/pad/chat/completions":
			body := "key=" + echo
			http.Error(w, strings.Repeat(" ", 512-len(body)+1)+body, http.StatusUnauthorized)
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, `data: {"choices":[{"delta":{"content":"`+echo+`"}}]}`+"\n\ndata: [DONE]\n\n")
		}
	}))
	t.Cleanup(keyed.Close)
	app, base := serve(t, map[string]string{ai.KeysEnv: keyed.URL + "=" + key, ai.APIKeyEnv: ""})
	for path, want := range map[string][2]string{
		"reason": {ai.JobFailed, "The model server answered 401 Unauthorized: {}."},
		"pad":    {ai.JobFailed, "The model server answered 401 Unauthorized: key=[redacted]."},
		"reply":  {ai.JobSucceeded, ""},
	} {
		model := saveModel(t, app, "", path, "openai_chat", ai.StatusReady, true, `{}`,
			`{"base_url":"`+keyed.URL+`/`+path+`","model":"m"}`).Id
		job := waitJob(t, app, mustQueue(t, base, testapp.Alice, model, map[string]any{"prompt": "hi"}), ai.JobFailed, ai.JobSucceeded)
		if job.GetString("status") != want[0] || job.GetString("error") != want[1] {
			t.Errorf("%s: %s %q, want %s %q", path, job.GetString("status"), job.GetString("error"), want[0], want[1])
		}
		if path == "reply" && job.GetString("result") != `{"text":"[redacted]"}` {
			t.Errorf("reply: result %s", job.GetString("result"))
		}
		// what the member reads over the API
		res := testapp.Call(t, http.MethodGet, base+"/api/collections/ai_logs/records/"+job.Id, testapp.Token(testapp.Alice), nil)
		if res.Status != http.StatusOK || strings.Contains(string(res.Raw), key[:8]) {
			t.Errorf("%s: the member reads %d %s", path, res.Status, res.Raw)
		}
	}
}
