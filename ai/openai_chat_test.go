package ai

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"madang/internal/access"
)

// chatServer records the last request and answers with handle.
type chatServer struct {
	*httptest.Server
	mu      sync.Mutex
	auth    string
	request chatRequest
}

func newChatServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *chatServer {
	t.Helper()
	s := &chatServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.auth = r.Header.Get("Authorization")
		json.Unmarshal(body, &s.request)
		s.mu.Unlock()
		handle(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// last returns what the latest request carried.
func (s *chatServer) last() (auth string, req chatRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auth, s.request
}

// sse writes events one by one, flushing each so the client sees a stream.
func sse(w http.ResponseWriter, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, e := range events {
		fmt.Fprintf(w, "%s\n\n", e)
		w.(http.Flusher).Flush()
	}
}

func delta(text string) string {
	b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"delta": map[string]string{"content": text}}}})
	return "data: " + string(b)
}

func loadChat(t *testing.T, baseURL, extra string) *chatPredictor {
	t.Helper()
	opts := fmt.Sprintf(`{"base_url":%q,"model":"test-model","system_prompt":"Be brief."%s}`, baseURL+"/v1", extra)
	if err := (openAIChat{}).ValidateOptions(json.RawMessage(opts)); err != nil {
		t.Fatal(err)
	}
	p, err := openAIChat{}.Load(json.RawMessage(`{}`), json.RawMessage(opts))
	if err != nil {
		t.Fatal(err)
	}
	cp := p.(*chatPredictor)
	cp.partialEvery = 0 // every chunk, so the test sees each step
	cp.firstRetry = time.Millisecond
	return cp
}

func TestOpenAIChatStreams(t *testing.T) {
	s := newChatServer(t, func(w http.ResponseWriter, r *http.Request) {
		sse(w, ": keep-alive", `data: {"choices":[{"delta":{"role":"assistant"}}]}`,
			delta("안녕"), delta("하세요"), delta(", Madang"), `data: {"choices":[]}`, "data: [DONE]")
	})
	t.Setenv(KeysEnv, "https://api.openai.com=sk-other,"+s.URL+"/=sk-test-123")
	p := loadChat(t, s.URL, `,"max_tokens":50,"temperature":0.2`)

	var partials []string
	res, err := p.Predict(context.Background(), json.RawMessage(`{"prompt":"인사해 줘"}`), func(text string) {
		partials = append(partials, text)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.(chatResult).Text; got != "안녕하세요, Madang" {
		t.Errorf("text %q", got)
	}
	if want := []string{"안녕", "안녕하세요", "안녕하세요, Madang"}; strings.Join(partials, "|") != strings.Join(want, "|") {
		t.Errorf("partials %q, want %q", partials, want)
	}
	auth, req := s.last()
	if auth != "Bearer sk-test-123" {
		t.Errorf("Authorization %q, want the key %s gives the server's origin", auth, KeysEnv)
	}
	if req.Model != "test-model" || !req.Stream || *req.MaxTokens != 50 || *req.Temperature != 0.2 ||
		len(req.Messages) != 2 || req.Messages[0] != (chatMessage{"system", "Be brief."}) ||
		req.Messages[1] != (chatMessage{"user", "인사해 줘"}) {
		t.Errorf("request %+v", req)
	}
	raw, _ := json.Marshal(res)
	if string(raw) != `{"text":"안녕하세요, Madang"}` {
		t.Errorf("result encodes as %s", raw)
	}
}

func TestOpenAIChatSendsMessagesWithoutKey(t *testing.T) {
	t.Setenv(APIKeyEnv, "")
	s := newChatServer(t, func(w http.ResponseWriter, r *http.Request) {
		sse(w, delta("ok"), "data:[DONE]")
	})
	p := loadChat(t, s.URL, "")
	input := `{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"again"}]}`
	res, err := p.Predict(context.Background(), json.RawMessage(input), nil)
	if err != nil {
		t.Fatal(err)
	}
	auth, req := s.last()
	if res.(chatResult).Text != "ok" || auth != "" || len(req.Messages) != 4 {
		t.Errorf("text %q, auth %q, %d messages", res.(chatResult).Text, auth, len(req.Messages))
	}
}

// TestOpenAIChatStreamsThatEndWell: a stream whose last chunk has a
// finish_reason is whole without [DONE] (until 2026-12-04 its text was
// thrown away as "stream cut"), and a reply of almost maxReplyBytes sent
// as one chunk of \u escapes is read (it failed with "bufio.Scanner: token
// too long"), as is one too long, named so (probe p20).
func TestOpenAIChatStreamsThatEndWell(t *testing.T) {
	korean := strings.Repeat("가", 300_000) // 900 KB of UTF-8, 1.8 MB as \uac00 escapes
	escaped := strings.ReplaceAll(delta(korean), "가", `\uac00`)
	for _, tc := range []struct {
		name, want, err string
		events          []string
	}{
		{"finish_reason, no [DONE]", "all of it", "", []string{delta("all "), delta("of it"), `data: {"choices":[{"delta":{},"finish_reason":"stop"}]}`}},
		{"one escaped chunk under the limit", korean, "", []string{escaped, "data: [DONE]"}},
		{"one chunk over the limit", "", "exceeded 1 MB", []string{strings.ReplaceAll(delta(korean+korean), "가", `\uac00`), "data: [DONE]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newChatServer(t, func(w http.ResponseWriter, r *http.Request) { sse(w, tc.events...) })
			res, err := loadChat(t, s.URL, "").Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.(chatResult).Text; got != tc.want {
				t.Errorf("text of %d bytes, want %d", len(got), len(tc.want))
			}
		})
	}
}

func TestOpenAIChatFailures(t *testing.T) {
	const key = "sk-secret-456"
	t.Setenv(KeysEnv, "http://127.0.0.1="+key) // redacted wherever it is configured
	for _, tc := range []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request)
		want   string
	}{
		{"http 500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"message":"model overloaded, key `+key+`"}}`, http.StatusInternalServerError)
		}, "answered 500 Internal Server Error: {\"error\":{\"message\":\"model overloaded, key [redacted]\"}}"},
		{"http 401", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad key", http.StatusUnauthorized)
		}, "answered 401 Unauthorized: bad key"},
		{"cut stream", func(w http.ResponseWriter, r *http.Request) {
			sse(w, delta("half a sen"))
		}, "stream cut"},
		{"malformed chunk", func(w http.ResponseWriter, r *http.Request) {
			sse(w, delta("a"), `data: {"choices":[{"delta":`)
		}, "malformed stream chunk"},
		{"error event", func(w http.ResponseWriter, r *http.Request) {
			sse(w, `data: {"error":{"message":"context length exceeded"}}`)
		}, "reported an error mid-stream: context length exceeded"},
		{"not a stream", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<p>maintenance</p>`)
		}, "answered with text/html, neither a chat completion (application/json) nor a stream"},
		{"an empty stream", func(w http.ResponseWriter, r *http.Request) {
			sse(w, ": ping", "data: [DONE]")
		}, "sent an empty reply"},
		{"an empty completion", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"choices":[{"message":{"content":" "}}]}`)
		}, "sent an empty reply"},
		{"a key quoted shortened", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad key "+key[:10]+"... and "+key[:8], http.StatusForbidden)
		}, "answered 403 Forbidden: bad key [redacted]... and [redacted]"},
		{"not a completion", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, `{"choices":[]}`)
		}, "answered a chat completion without choices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newChatServer(t, tc.handle)
			_, err := loadChat(t, s.URL, "").Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), key[:minKeyPrefix]) {
				t.Errorf("error reveals the API key: %v", err)
			}
		})
	}
}

func TestOpenAIChatTimesOut(t *testing.T) {
	s := newChatServer(t, func(w http.ResponseWriter, r *http.Request) {
		sse(w, delta("thinking"))
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	p := loadChat(t, s.URL, `,"timeout_seconds":0.2`)
	start := time.Now()
	_, err := p.Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not finish within 200ms") {
		t.Errorf("error %v, want a deadline", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v; the timeout did not stop the stream", d)
	}
}

// TestOpenAIChatHasNoLimitOfItsOwn: without timeout_seconds a chat job
// runs under the queue's limit (MADANG_AI_TIMEOUT) alone, as the README
// says; a hidden 2-minute cap used to cut it when that limit was longer.
func TestOpenAIChatHasNoLimitOfItsOwn(t *testing.T) {
	if p := loadChat(t, "http://127.0.0.1:1", ""); p.timeout != 0 {
		t.Errorf("timeout %v without timeout_seconds, want none", p.timeout)
	}
	if p := loadChat(t, "http://127.0.0.1:1", `,"timeout_seconds":300`); p.timeout != 5*time.Minute {
		t.Errorf("timeout %v with timeout_seconds 300", p.timeout)
	}
}

func TestOpenAIChatUnreachableServer(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	url := s.URL
	s.Close()
	_, err := loadChat(t, url, "").Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), nil)
	if err == nil || err.Error() != "could not reach the model server: connection refused" {
		t.Errorf("error %v", err)
	}
}

func TestOpenAIChatThrottlesPartials(t *testing.T) {
	var got []string
	th := &throttle{every: time.Hour, fn: func(s string) { got = append(got, s) }}
	for _, s := range []string{"a", "ab", "abc"} {
		th.offer(s)
	}
	if strings.Join(got, ",") != "a" {
		t.Errorf("partials %v, want only the first within the interval", got)
	}
}

func TestOpenAIChatTrainChecksOptions(t *testing.T) {
	var msgs []string
	tr, err := openAIChat{}.Train(context.Background(), nil,
		json.RawMessage(`{"base_url":"https://api.example.com/v1/","model":"gpt-4o-mini","system_prompt":""}`),
		func(m string) { msgs = append(msgs, m) })
	if err != nil {
		t.Fatal(err)
	}
	if string(tr.Model) != `{}` || len(tr.Metrics) != 0 {
		t.Errorf("trained %s %v", tr.Model, tr.Metrics)
	}
	if (openAIChat{}).NeedsDataset() {
		t.Error("openai_chat should need no dataset")
	}

	for _, tc := range []struct{ options, want string }{
		{`{}`, "options.base_url must be an http(s) URL"},
		{`{"base_url":"ftp://host/v1","model":"m"}`, "http(s) URL"},
		{`{"base_url":"localhost:8080","model":"m"}`, "http(s) URL"},
		{`{"base_url":"http://user:pw@host/v1","model":"m"}`, "must not contain a user name or password"},
		{`{"base_url":"http://host/v1","model":" "}`, "options.model must name"},
		{`{"base_url":"http://host/v1","model":"m","temperature":3}`, "temperature must be between 0 and 2"},
		{`{"base_url":"http://host/v1","model":"m","max_tokens":0}`, "max_tokens must be between"},
		{`{"base_url":"http://host/v1","model":"m","max_tokens":1.5}`, "options.max_tokens must be a whole number"},
		{`{"base_url":"http://host/v1","model":"m","api_key":"sk"}`, `unknown field "api_key"`},
		{`{"base_url":"http://host/v1","model":"m","timeout_seconds":1e9}`, "timeout_seconds must be between"},
	} {
		_, err := openAIChat{}.Train(context.Background(), nil, json.RawMessage(tc.options), nil)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != "options" || !strings.Contains(ie.Message, tc.want) {
			t.Errorf("%s: error %v, want an options error containing %q", tc.options, err, tc.want)
		}
	}
}

func TestOpenAIChatRejectsBadInput(t *testing.T) {
	p := loadChat(t, "http://127.0.0.1:1", "")
	tooMany := `{"messages":[` + strings.Repeat(`{"role":"user","content":"a"},`, maxChatMessages) + `{"role":"user","content":"a"}]}`
	for _, tc := range []struct{ input, want string }{
		{`null`, "input is required"},
		{`{}`, `needs "prompt"`},
		{`{"prompt":""}`, "input.prompt is empty"},
		{`{"prompt":"a","messages":[]}`, "not both"},
		{`{"messages":[]}`, "1 to 200 messages"},
		{tooMany, "1 to 200 messages"},
		{`{"messages":[{"role":"tool","content":"x"}]}`, `input.messages[0].role must be "system", "user" or "assistant"`},
		{`{"messages":[{"role":"user","content":"x"},{"role":"user","content":"  "}]}`, "input.messages[1].content is empty"},
		{`{"messages":[{"role":"user","content":"x","name":"bob"}]}`, `unknown field "name"`},
		{`{"prompt":"` + strings.Repeat("a", maxMessageRunes+1) + `"}`, "longer than 32000"},
		{`{"messages":[` + strings.Repeat(`{"role":"user","content":"`+strings.Repeat("b", 30000)+`"},`, 3) + `{"role":"user","content":"` + strings.Repeat("b", 30000) + `"}]}`, "at most 100000"},
	} {
		err := p.ValidateInput(json.RawMessage(tc.input))
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != "input" || !strings.Contains(ie.Message, tc.want) {
			t.Errorf("%.60s: error %v, want an input error containing %q", tc.input, err, tc.want)
		}
	}
}

// TestOpenAIChatKeysGoOnlyWhereTheOperatorSaid: an admin points a model at
// a server of their own; it receives no key — neither the api.openai.com
// key nor another origin's — while the origin the operator named gets its
// own key, however its URL is spelled.
func TestOpenAIChatKeysGoOnlyWhereTheOperatorSaid(t *testing.T) {
	s := newChatServer(t, func(w http.ResponseWriter, r *http.Request) {
		sse(w, delta("ok"), "data: [DONE]")
	})
	t.Setenv(APIKeyEnv, "sk-openai-key")
	t.Setenv(KeysEnv, "http://10.1.2.3:8000=sk-vllm-key")
	p := loadChat(t, s.URL, "")
	if _, err := p.Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), nil); err != nil {
		t.Fatal(err)
	}
	if auth, _ := s.last(); auth != "" {
		t.Fatalf("an unlisted server received Authorization %q", auth)
	}

	u := strings.Replace(s.URL, "127.0.0.1", "LOCALHOST", 1)
	t.Setenv(KeysEnv, strings.Replace(s.URL, "http://", "HTTP://", 1)+"=sk-local")
	if keyFor(s.URL+"/v1") != "sk-local" || keyFor(u) != "" {
		t.Errorf("keyFor(%s) = %q, keyFor(%s) = %q", s.URL, keyFor(s.URL+"/v1"), u, keyFor(u))
	}
	for raw, want := range map[string]string{
		"https://API.openai.com:443/v1": "https://api.openai.com",
		"http://[::1]:80/":              "http://[::1]",
		"http://[::1]:8080":             "http://[::1]:8080",
		"http://localhost:11434/v1":     "http://localhost:11434",
	} {
		if got, err := originOf(raw); err != nil || got != want {
			t.Errorf("originOf(%s) = %q, %v; want %q", raw, got, err, want)
		}
	}
	if keyFor("https://api.openai.com/v1") != "sk-openai-key" {
		t.Error("MADANG_OPENAI_API_KEY no longer reaches api.openai.com")
	}
	// a malformed pair is refused by its place, and the refusal never
	// shows the secret (until 2026-12-03 a bare key was printed in full)
	for value, want := range map[string]string{
		"not a pair":  "pair 1 has no",
		"sk-SECRET-1": "pair 1 has no",
		"http://10.1.2.3=k,https://api.openai.com:sk-SECRET-2": "pair 2 has no",
		"sk-SECRET-3=https://x":                                "pair 1 does not start with an http(s) origin",
		"http://10.1.2.3:8000=":                                "pair 1 (http://10.1.2.3:8000) has no key",
		"https://API.openai.com=sk-SECRET-4,http://x=k,https://api.openai.com:443/v1=sk-SECRET-5": "pairs 1 and 3 both give a key for https://api.openai.com; keep one",
	} {
		t.Setenv(KeysEnv, value)
		_, err := ConfigFromEnv()
		if err == nil || !strings.Contains(err.Error(), KeysEnv) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s=%q: %v, want an error with %q and no key", KeysEnv, value, err, want)
		}
	}
}

// TestOpenAIChatRedactsKeysEverywhere: a model server that echoes the
// Authorization header, wherever it puts it, shows no part of the key in
// the job's error, result or partials: the status line, a body cut at the
// read limit (padded, or not), mid-stream, a malformed chunk, the reply
// itself split across chunks, a non-streamed answer, a redirect's address, a status line Go
// cannot parse. Another origin's key is hidden too. Until 2026-12-04 the
// status line, the cut body, the reply, the redirect and the unparsable
// status line showed the key (the cut body all but its last character).
func TestOpenAIChatRedactsKeysEverywhere(t *testing.T) {
	const other = "sk-OTHER-origin-key-777"
	echo := func(r *http.Request) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") }
	raw := func(w http.ResponseWriter, response string) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		buf.WriteString(response)
		buf.Flush()
		conn.Close()
	}
	var away *httptest.Server
	for _, tc := range []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request)
		want   string // in the error, or the result when ok
		ok     bool
	}{
		{"reason phrase", func(w http.ResponseWriter, r *http.Request) {
			raw(w, "HTTP/1.1 401 Unauthorized "+echo(r)+"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
		}, "answered 401 Unauthorized: {}", false},
		{"padded body cut at the limit", func(w http.ResponseWriter, r *http.Request) {
			key := "key=" + echo(r)
			http.Error(w, strings.Repeat(" ", maxErrorBodyRead-len(key)+1)+key, http.StatusUnauthorized)
		}, "answered 401 Unauthorized: key=[redacted]", false},
		{"body cut inside the key", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, strings.Repeat("x", maxErrorBodyRead-10)+echo(r), http.StatusBadRequest)
		}, "answered 400 Bad Request: xxx", false},
		{"another origin's key", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "keys: "+other, http.StatusForbidden)
		}, "answered 403 Forbidden: keys: [redacted]", false},
		{"mid-stream", func(w http.ResponseWriter, r *http.Request) {
			sse(w, delta("a"), `data: {"error":{"message":"bad key `+echo(r)+`"}}`)
		}, "reported an error mid-stream: bad key [redacted]", false},
		{"malformed chunk", func(w http.ResponseWriter, r *http.Request) {
			sse(w, `data: {"key":"`+echo(r)+`"`)
		}, `malformed stream chunk "{\"key\":\"[redacted]\""`, false},
		{"reply split across chunks", func(w http.ResponseWriter, r *http.Request) {
			key := echo(r)
			sse(w, delta("your key is "+key[:12]), delta(key[12:]), delta(" ok"), "data: [DONE]")
		}, "your key is [redacted] ok", true},
		{"non-streamed reply", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"choices":[{"message":{"content":"key `+echo(r)+`"}}]}`)
		}, "key [redacted]", true},
		{"non-streamed error", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"error":{"message":"bad key `+echo(r)+`"}}`)
		}, "reported an error: bad key [redacted]", false},
		{"redirect address", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, away.URL+"/?k="+echo(r), http.StatusTemporaryRedirect)
		}, "redirected to another origin; set options.base_url", false},
		{"unparsable status line", func(w http.ResponseWriter, r *http.Request) {
			raw(w, "HTTP/1.1 "+echo(r)+" Unauthorized\r\nContent-Length: 0\r\n\r\n")
		}, "could not reach the model server", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			away = httptest.NewServer(http.NotFoundHandler())
			defer away.Close()
			s := newChatServer(t, tc.handle)
			key := "sk-SECRET-" + strings.Repeat("k", 20) + "-XYZ"
			t.Setenv(KeysEnv, s.URL+"="+key+",http://10.9.9.9="+other)
			got, partials := askChat(t, s, tc.ok)
			if auth, _ := s.last(); auth != "Bearer "+key {
				t.Fatalf("the server got Authorization %q", auth)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("%q, want it to contain %q", got, tc.want)
			}
			for _, text := range append(partials, got) {
				for _, secret := range []string{key[:8], other[:8]} {
					if strings.Contains(text, secret) {
						t.Errorf("%q shows the start of a key", text)
					}
				}
			}
		})
	}
}

// TestOpenAIChatAcceptsAWholeAnswer: a server that ignores "stream": true
// and answers one application/json completion gives its reply. Until
// 2026-12-04 the job failed as a "stream cut; try again".
func TestOpenAIChatAcceptsAWholeAnswer(t *testing.T) {
	s := newChatServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, `{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"한 번에 \u00e0"},"finish_reason":"stop"}]}`)
	})
	res, err := loadChat(t, s.URL, "").Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), nil)
	if err != nil || res.(chatResult).Text != "한 번에 à" {
		t.Fatalf("result %v, error %v", res, err)
	}
	big := newChatServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"choices":[{"message":{"content":%q}}]}`, strings.Repeat("x", maxReplyBytes+1))
	})
	if _, err := loadChat(t, big.URL, "").Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), nil); err == nil || !strings.Contains(err.Error(), "exceeded 1 MB") {
		t.Errorf("a reply over 1 MB: %v", err)
	}
}

// TestOpenAIChatDropsControlCharacters: what a model server sends is stored
// and shown without control characters (tab and line breaks kept), as a
// member's own text may hold none: until 2026-12-07 an error body's escape
// sequences were stored as sent, and `madang ai jobs` cleared the
// operator's screen with them. A control inside a key does not hide the key
// from the redaction.
func TestOpenAIChatDropsControlCharacters(t *testing.T) {
	const dirty = "a\x1b[2J\x1b]0;PWNED\x07b\x00c\x7f\u0085d\te\nf"
	const clean = "a[2J]0;PWNEDbcd\te\nf"
	for _, tc := range []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request)
		want   string // in the error, or the result when ok
		ok     bool
	}{
		{"error body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, dirty, http.StatusInternalServerError)
		}, "answered 500 Internal Server Error: a[2J]0;PWNEDbc", false}, // its white space made one line
		{"mid-stream error", func(w http.ResponseWriter, r *http.Request) {
			msg, _ := json.Marshal(dirty)
			sse(w, delta("x"), `data: {"error":{"message":`+string(msg)+`}}`)
		}, "reported an error mid-stream: " + clean, false},
		{"streamed reply", func(w http.ResponseWriter, r *http.Request) {
			sse(w, delta(dirty[:6]), delta(dirty[6:]), "data: [DONE]")
		}, clean, true},
		{"a key split by a control", func(w http.ResponseWriter, r *http.Request) {
			key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			sse(w, delta("key "+key[:8]+"\x00"+key[8:]), "data: [DONE]")
		}, "key [redacted]", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newChatServer(t, tc.handle)
			t.Setenv(KeysEnv, s.URL+"=sk-SECRET-"+strings.Repeat("k", 20))
			got, partials := askChat(t, s, tc.ok)
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want it to hold %q", got, tc.want)
			}
			for _, text := range append(partials, got) {
				if r, found := access.ControlCharacter(text); found {
					t.Errorf("%q holds the control character %U", text, r)
				}
			}
		})
	}
}

// askChat sends s's model "hi" and returns the reply's text (ok) or the
// error's, and the partial texts shown meanwhile; the other outcome fails t.
func askChat(t *testing.T, s *chatServer, ok bool) (string, []string) {
	t.Helper()
	var partials []string
	res, err := loadChat(t, s.URL, "").Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), func(text string) {
		partials = append(partials, text)
	})
	switch {
	case ok && err == nil:
		return res.(chatResult).Text, partials
	case !ok && err != nil:
		return err.Error(), partials
	}
	t.Fatalf("result %v, error %v", res, err)
	return "", nil
}

// TestOpenAIChatSaysWhenToTryAgain: a busy server's Retry-After (seconds,
// or a date) is told with its 429 or 503; other statuses, a missing or
// unreadable header, say nothing of it.
func TestOpenAIChatSaysWhenToTryAgain(t *testing.T) {
	for _, tc := range []struct {
		status int
		header string
		want   string
	}{
		{http.StatusTooManyRequests, "30", "answered 429 Too Many Requests (it asks to be tried again in 30s): slow down"},
		{http.StatusServiceUnavailable, "3600", "answered 503 Service Unavailable (it asks to be tried again in 1h0m0s): slow down"},
		// a date has whole seconds: two minutes from now reads 1m59s or 2m0s
		{http.StatusServiceUnavailable, time.Now().Add(2*time.Minute + time.Second).UTC().Format(http.TimeFormat), "(it asks to be tried again in 2m"},
		{http.StatusTooManyRequests, "", "answered 429 Too Many Requests: slow down"},
		{http.StatusTooManyRequests, "soon", "answered 429 Too Many Requests: slow down"},
		{http.StatusInternalServerError, "30", "answered 500 Internal Server Error: slow down"},
	} {
		t.Run(fmt.Sprintf("%d %q", tc.status, tc.header), func(t *testing.T) {
			s := newChatServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				http.Error(w, "slow down", tc.status)
			})
			got, _ := askChat(t, s, false)
			if !strings.Contains(got, tc.want) {
				t.Errorf("%q, want it to hold %q", got, tc.want)
			}
		})
	}
}

// TestOpenAIChatRetriesABusyServer: a 429 or 503 is asked again, at most
// twice, after the wait its Retry-After asks (or a short one without),
// unless that wait is long or outlasts the job's time limit.
func TestOpenAIChatRetriesABusyServer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		busy      int    // how many busy answers come first
		status    int    // their status
		header    string // their Retry-After
		extra     string // options
		ok        bool
		requests  int
		wantError string
	}{
		{"429 once, then a reply", 1, http.StatusTooManyRequests, "0", "", true, 2, ""},
		{"503 twice without Retry-After, then a reply", 2, http.StatusServiceUnavailable, "", "", true, 3, ""},
		{"busy throughout", 9, http.StatusTooManyRequests, "", "", false, 3, "answered 429 Too Many Requests: slow down"},
		{"asks for an hour", 1, http.StatusTooManyRequests, "3600", "", false, 1, "(it asks to be tried again in 1h0m0s)"},
		{"asks for longer than the job has", 1, http.StatusServiceUnavailable, "5", `,"timeout_seconds":2`, false, 1, "(it asks to be tried again in 5s)"},
		{"a 500 is not retried", 1, http.StatusInternalServerError, "0", "", false, 1, "answered 500 Internal Server Error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			requests := 0
			s := newChatServer(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				requests++
				n := requests
				mu.Unlock()
				if n <= tc.busy {
					if tc.header != "" {
						w.Header().Set("Retry-After", tc.header)
					}
					http.Error(w, "slow down", tc.status)
					return
				}
				sse(w, delta("안녕하세요"), "data: [DONE]")
			})
			res, err := loadChat(t, s.URL, tc.extra).Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), nil)
			mu.Lock()
			defer mu.Unlock()
			if requests != tc.requests {
				t.Errorf("%d requests, want %d", requests, tc.requests)
			}
			switch {
			case tc.ok && (err != nil || res.(chatResult).Text != "안녕하세요"):
				t.Errorf("result %v, error %v", res, err)
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), tc.wantError)):
				t.Errorf("error %v, want it to hold %q", err, tc.wantError)
			}
		})
	}
}

// TestOpenAIChatTrainingNamesTheKeyItsServerGets: training an openai_chat
// model says when its server will get no key, from wherever the operator
// sets keys (until 2026-12-07 only MADANG_OPENAI_API_KEY was looked at:
// a server named in MADANG_OPENAI_KEYS was said to get none, and a local
// server was said to get the api.openai.com key).
func TestOpenAIChatTrainingNamesTheKeyItsServerGets(t *testing.T) {
	train := func(base string) []string {
		var said []string
		_, err := openAIChat{}.Train(context.Background(), nil, json.RawMessage(`{"base_url":"`+base+`","model":"m"}`), func(s string) { said = append(said, s) })
		if err != nil {
			t.Fatal(err)
		}
		return said
	}
	t.Setenv(APIKeyEnv, "sk-openai")
	t.Setenv(KeysEnv, "http://10.1.2.3:8000=sk-vllm")
	for base, keyless := range map[string]bool{
		"http://10.1.2.3:8000/v1":   false,
		"https://api.openai.com/v1": false,
		"http://127.0.0.1:11434/v1": true,
	} {
		said := strings.Join(train(base), "\n")
		if got := strings.Contains(said, "requests will be sent without one"); got != keyless {
			t.Errorf("%s: said %q, keyless %v", base, said, keyless)
		}
	}
	if said := strings.Join(train("http://127.0.0.1:11434/v1"), ""); !strings.Contains(said, "No server key is set for http://127.0.0.1:11434 (MADANG_OPENAI_KEYS, or MADANG_OPENAI_API_KEY for api.openai.com)") {
		t.Errorf("said %q", said)
	}
}

// TestOpenAIChatStreamIsBounded: a stream that sends comments or empty
// chunks without end fails once it sent maxStreamBytes (here 1 MB), well
// before the job's time limit.
func TestOpenAIChatStreamIsBounded(t *testing.T) {
	defer func(was int64) { maxStreamBytes = was }(maxStreamBytes)
	maxStreamBytes = 1 << 20
	for name, line := range map[string]string{
		"comments":     ": keep-alive\n\n",
		"empty chunks": "data: " + `{"choices":[{"delta":{}}]}` + "\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := newChatServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				for r.Context().Err() == nil {
					if _, err := io.WriteString(w, strings.Repeat(line, 100)); err != nil {
						return
					}
				}
			})
			got, _ := askChat(t, s, false)
			if !strings.Contains(got, "sent more than") {
				t.Errorf("%q, want the stream's bound", got)
			}
		})
	}
}

// A job's error, which its member reads, says why the model server failed
// without its address (withoutAddresses); the Predict error keeps it for
// the operator's log.
func TestModelServerErrorsWithoutAddresses(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	untrusted := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(untrusted.Close)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	away := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(away.Close)
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, away.URL+"/v1/chat/completions", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirecting.Close)
	for _, tc := range []struct {
		name, url, want string
		named           bool // the whole error names the address, for the log
	}{
		{"refused", closedURL, "could not reach the model server: connection refused", true},
		{"unknown authority", untrusted.URL, "could not reach the model server: its TLS certificate is signed by an unknown authority", false},
		{"no TLS", strings.Replace(plain.URL, "http://", "https://", 1), "could not reach the model server: http: server gave HTTP response to HTTPS client", false},
		{"redirect", redirecting.URL, "could not reach the model server: the model server redirected to another origin; set options.base_url", false},
		{"no such host", "http://llm.madang-test.invalid:8000", "could not reach the model server: ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadChat(t, tc.url, `,"timeout_seconds":10`).Predict(context.Background(), json.RawMessage(`{"prompt":"hi"}`), nil)
			var se *serverError
			if !errors.As(err, &se) {
				t.Fatalf("error %v", err)
			}
			text := err.Error()
			if !strings.HasPrefix(text, tc.want) {
				t.Errorf("%q, want it to start with %q; in the log: %q", text, tc.want, se.detail)
			}
			u, _ := url.Parse(tc.url)
			if tc.named && !strings.Contains(se.detail, u.Hostname()) {
				t.Errorf("the log's text %q does not name %s", se.detail, u.Hostname())
			}
			for _, address := range []string{u.Hostname(), u.Port(), "127.0.0.1", strings.TrimPrefix(away.URL, "http://")} {
				if address != "" && strings.Contains(text, address) {
					t.Errorf("%q names %s", text, address)
				}
			}
			if tc.name == "redirect" && !strings.Contains(se.detail, away.URL) {
				t.Errorf("the log's text %q does not name the redirect's target", se.detail)
			}
			if tc.name == "no such host" && !strings.Contains(text, "host name") {
				t.Errorf("%q does not say the host name failed", text)
			}
		})
	}
	// a certificate for other names names them and the one asked for
	mismatch := fmt.Errorf("could not reach the model server: %w", &tls.CertificateVerificationError{
		Err: x509.HostnameError{Certificate: untrusted.Certificate(), Host: "llm.internal"}})
	if text, found := withoutAddresses(mismatch); !found || text != "could not reach the model server: its TLS certificate is for another host name" {
		t.Errorf("a certificate for another host: %q (found %v) from %v", text, found, mismatch)
	}
	if text, found := withoutAddresses(errors.New("the model server answered 404 Not Found: no model")); found || text != "the model server answered 404 Not Found: no model" {
		t.Errorf("an error without an address became %q (found %v)", text, found)
	}
}
