package ai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madang/internal/access"
)

// The operator decides which model servers get a key; an in-app admin,
// who picks a model's base_url, does not. Keys are read from the
// environment for every request (an operator rotates them without a
// restart) and are never stored on a record:
//
//   - KeysEnv holds "ORIGIN=KEY" pairs, separated by commas or newlines,
//     e.g. "https://api.openai.com=sk-…,http://10.0.0.5:8000=vllm-key";
//   - APIKeyEnv is the key of https://api.openai.com (OpenAIOrigin) only.
//
// A request to any other origin carries no Authorization header (keyless
// servers such as a local Ollama still work).
const (
	KeysEnv      = "MADANG_OPENAI_KEYS"
	APIKeyEnv    = "MADANG_OPENAI_API_KEY"
	OpenAIOrigin = "https://api.openai.com"
)

// serverKeys reads the operator's origin → key pairs.
func serverKeys() (map[string]string, error) {
	keys := map[string]string{}
	if key := strings.TrimSpace(os.Getenv(APIKeyEnv)); key != "" {
		keys[OpenAIOrigin] = key
	}
	// a refusal names the pair by its place, never by its text: a bare key,
	// or a colon typed for "=", would print the secret into the logs
	named := map[string]int{} // origin → its pair's place
	for i, pair := range strings.FieldsFunc(os.Getenv(KeysEnv), func(r rune) bool { return r == ',' || r == '\n' }) {
		origin, key, ok := strings.Cut(strings.TrimSpace(pair), "=")
		o, err := originOf(origin)
		switch {
		case !ok:
			return nil, fmt.Errorf("%s: pair %d has no \"=\"; give ORIGIN=KEY pairs such as https://api.openai.com=sk-… "+
				"(a key for api.openai.com alone goes in %s)", KeysEnv, i+1, APIKeyEnv)
		case err != nil:
			return nil, fmt.Errorf("%s: pair %d does not start with an http(s) origin such as https://api.openai.com", KeysEnv, i+1)
		case strings.TrimSpace(key) == "":
			return nil, fmt.Errorf("%s: pair %d (%s) has no key after \"=\"", KeysEnv, i+1, o)
		case named[o] > 0:
			// until 2026-12-07 the last one was used without a word
			return nil, fmt.Errorf("%s: pairs %d and %d both give a key for %s; keep one", KeysEnv, named[o], i+1, o)
		}
		named[o] = i + 1
		keys[o] = strings.TrimSpace(key)
	}
	return keys, nil
}

// originOf is the scheme://host[:port] of an http(s) URL, lowercased,
// without a default port.
func originOf(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("not an http(s) URL: %q", raw)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return strings.ToLower(u.Scheme) + "://" + host, nil
}

// keyFor returns the key the operator gave base's origin, or "".
func keyFor(base string) string {
	keys, err := serverKeys()
	if err != nil {
		return ""
	}
	origin, err := originOf(base)
	if err != nil {
		return ""
	}
	return keys[origin]
}

const (
	// partialEvery throttles partial updates: each one becomes a realtime
	// message to every subscriber, and ten a second reads as live typing.
	// The final text arrives as the result, not as a last partial.
	partialEvery     = 100 * time.Millisecond
	maxChatMessages  = 200
	maxMessageRunes  = 32_000
	maxChatRunes     = 100_000
	maxReplyBytes    = 1 << 20
	maxErrorBodyRead = 512
)

// openAIChat calls an OpenAI-compatible /chat/completions endpoint with
// streaming; there is nothing to train.
type openAIChat struct{}

type chatOptions struct {
	BaseURL        string   `json:"base_url"`
	Model          string   `json:"model"`
	SystemPrompt   string   `json:"system_prompt"`
	TimeoutSeconds float64  `json:"timeout_seconds"`
	MaxTokens      *int     `json:"max_tokens"`
	Temperature    *float64 `json:"temperature"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	Stream      bool          `json:"stream"`
	MaxTokens   *int          `json:"max_tokens,omitempty"`
	Temperature *float64      `json:"temperature,omitempty"`
}

// streamChunk is the part of an SSE chunk Madang reads; some servers report
// failures mid-stream as {"error":{"message":…}}.
type streamChunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

type chatResult struct {
	Text string `json:"text"`
}

func (openAIChat) Name() string       { return "openai_chat" }
func (openAIChat) NeedsDataset() bool { return false }

func (openAIChat) ValidateOptions(options json.RawMessage) error {
	_, err := parseChatOptions(options)
	return err
}

func parseChatOptions(raw json.RawMessage) (chatOptions, error) {
	var opts chatOptions
	if err := decodeJSON(raw, "options", &opts); err != nil {
		return opts, err
	}
	opts.BaseURL = strings.TrimRight(strings.TrimSpace(opts.BaseURL), "/")
	opts.Model = strings.TrimSpace(opts.Model)
	if err := checkBaseURL(opts.BaseURL); err != nil {
		return opts, err
	}
	switch {
	case opts.Model == "" || utf8.RuneCountInString(opts.Model) > 256:
		return opts, inputErrorf("options", "options.model must name the server's model (1 to 256 characters), for example \"gpt-4o-mini\".")
	case utf8.RuneCountInString(opts.SystemPrompt) > maxMessageRunes:
		return opts, inputErrorf("options", "options.system_prompt is longer than %d characters.", maxMessageRunes)
	case opts.MaxTokens != nil && (*opts.MaxTokens < 1 || *opts.MaxTokens > 1_000_000):
		return opts, inputErrorf("options", "options.max_tokens must be between 1 and 1000000.")
	case opts.Temperature != nil && (*opts.Temperature < 0 || *opts.Temperature > 2):
		return opts, inputErrorf("options", "options.temperature must be between 0 and 2.")
	}
	return opts, validateTimeout(opts.TimeoutSeconds)
}

// checkBaseURL refuses credentials in the URL: options are readable by
// more people than the server's environment, where the key belongs.
func checkBaseURL(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return inputErrorf("options", "options.base_url must be an http(s) URL such as \"http://localhost:8080/v1\".")
	}
	if u.User != nil {
		return inputErrorf("options", "options.base_url must not contain a user name or password; the operator sets server keys in %s on the server.", KeysEnv)
	}
	return nil
}

// Train only checks the options: the model lives on the chat server.
func (openAIChat) Train(_ context.Context, _ io.Reader, options json.RawMessage, progress func(string)) (*Trained, error) {
	opts, err := parseChatOptions(options)
	if err != nil {
		return nil, err
	}
	// the key its server gets, wherever the operator set it (until
	// 2026-12-07 only MADANG_OPENAI_API_KEY was looked at, for any server)
	if origin, _ := originOf(opts.BaseURL); keyFor(opts.BaseURL) == "" {
		report(progress, "No server key is set for %s (%s, or %s for api.openai.com); requests will be sent without one.", origin, KeysEnv, APIKeyEnv)
	}
	return &Trained{Model: json.RawMessage(`{}`), Metrics: map[string]float64{}}, nil
}

func (openAIChat) Load(_, options json.RawMessage) (Predictor, error) {
	opts, err := parseChatOptions(options)
	if err != nil {
		return nil, fmt.Errorf("loading the chat model: %w", err)
	}
	// without timeout_seconds the job's own limit (MADANG_AI_TIMEOUT) is
	// the only one, as for every kind
	var timeout time.Duration
	if opts.TimeoutSeconds > 0 {
		timeout = time.Duration(opts.TimeoutSeconds * float64(time.Second))
	}
	return &chatPredictor{opts: opts, timeout: timeout, client: chatClient, partialEvery: partialEvery, firstRetry: firstRetryWait}, nil
}

// chatClient follows a model server's redirects only within its origin. Go
// keeps the Authorization header on a redirect to the same host name on any
// port or scheme, so following a keyed server's redirect (an open redirect,
// a proxy's) sent the operator's key to a server it was not paired with.
var chatClient = &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
	from, _ := originOf(via[0].URL.String())
	to, err := originOf(req.URL.String())
	switch {
	case err != nil || to != from:
		return &redirectError{to: req.URL.Redacted()}
	case len(via) >= 10:
		return errors.New("the model server redirected 10 times; set options.base_url to the address that answers")
	}
	return nil
}}

type chatPredictor struct {
	opts         chatOptions
	timeout      time.Duration
	client       *http.Client
	partialEvery time.Duration
	firstRetry   time.Duration // firstRetryWait (tests wait less)
}

type chatInput struct {
	Prompt   *string       `json:"prompt"`
	Messages []chatMessage `json:"messages"`
}

func (p *chatPredictor) ValidateInput(input json.RawMessage) error {
	_, err := parseChatInput(input)
	return err
}

func parseChatInput(raw json.RawMessage) ([]chatMessage, error) {
	if err := requireJSON(raw, "input"); err != nil {
		return nil, err
	}
	var in chatInput
	if err := decodeJSON(raw, "input", &in); err != nil {
		return nil, err
	}
	switch {
	case in.Prompt != nil && in.Messages != nil:
		return nil, inputErrorf("input", "input must have either \"prompt\" or \"messages\", not both.")
	case in.Prompt != nil:
		msgs := []chatMessage{{Role: "user", Content: *in.Prompt}}
		return msgs, checkMessage(msgs[0], "input.prompt")
	case in.Messages == nil:
		return nil, inputErrorf("input", "input needs \"prompt\" (text) or \"messages\" (a list of {\"role\",\"content\"}).")
	case len(in.Messages) == 0 || len(in.Messages) > maxChatMessages:
		return nil, inputErrorf("input", "input.messages must hold 1 to %d messages.", maxChatMessages)
	}
	total := 0
	for i, m := range in.Messages {
		if err := checkMessage(m, fmt.Sprintf("input.messages[%d]", i)); err != nil {
			return nil, err
		}
		total += utf8.RuneCountInString(m.Content)
	}
	if total > maxChatRunes {
		return nil, inputErrorf("input", "input.messages hold %d characters in all; at most %d are allowed.", total, maxChatRunes)
	}
	return in.Messages, nil
}

func checkMessage(m chatMessage, path string) error {
	switch {
	case m.Role != "system" && m.Role != "user" && m.Role != "assistant":
		return inputErrorf("input", "%s.role must be \"system\", \"user\" or \"assistant\".", path)
	case strings.TrimSpace(m.Content) == "":
		return inputErrorf("input", "%s is empty; write something to send.", contentPath(path))
	case utf8.RuneCountInString(m.Content) > maxMessageRunes:
		return inputErrorf("input", "%s is longer than %d characters.", contentPath(path), maxMessageRunes)
	}
	if r, found := access.ControlCharacter(m.Content); found {
		return inputErrorf("input", "Remove the control character %U from %s.", r, contentPath(path))
	}
	return nil
}

// contentPath names the text itself: input.prompt, or a message's content.
func contentPath(path string) string {
	if strings.HasPrefix(path, "input.messages") {
		return path + ".content"
	}
	return path
}

func (p *chatPredictor) Predict(ctx context.Context, input json.RawMessage, partial func(string)) (any, error) {
	msgs, err := parseChatInput(input)
	if err != nil {
		return nil, err
	}
	show := partial
	if partial != nil {
		show = func(text string) { partial(fromServer(text)) }
	}
	text, err := p.chat(ctx, msgs, show)
	if err != nil {
		text, named := withoutAddresses(err)
		se := &serverError{msg: fromServer(text), err: err}
		if named {
			se.detail = fromServer(err.Error())
		}
		return nil, se
	}
	return chatResult{Text: fromServer(text)}, nil
}

// fromServer is text of the model server's as Madang stores and shows it:
// without control characters (until 2026-12-07 an error body of
// "\x1b[2J\x1b]0;…\x07" was stored as sent, and `madang ai jobs` cleared
// the operator's screen and retitled their terminal with it), then without
// the server keys it may quote (removing the controls first, so none can
// split a key past the redaction).
func fromServer(s string) string {
	return redactKeys(access.WithoutControls(s))
}

// chat sends msgs and reads the reply. Everything it returns may quote the
// model server, so Predict redacts it.
func (p *chatPredictor) chat(ctx context.Context, msgs []chatMessage, partial func(string)) (string, error) {
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	resp, err := p.postRetrying(ctx, msgs)
	if err != nil {
		return "", p.explain(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", statusError(resp)
	}
	var text string
	contentType := resp.Header.Get("Content-Type")
	if mediaType(contentType) == "application/json" {
		text, err = readCompletion(resp.Body)
	} else {
		text, err = readStream(resp.Body, contentType, &throttle{every: p.partialEvery, fn: partial})
	}
	if err != nil {
		return "", p.explain(ctx, err)
	}
	if strings.TrimSpace(text) == "" {
		// until 2026-12-04 a job "succeeded" with {"text":""} (probe p20)
		return "", errors.New("the model server sent an empty reply; check options.model and the messages, then try again")
	}
	return text, nil
}

func (p *chatPredictor) post(ctx context.Context, msgs []chatMessage) (*http.Response, error) {
	if p.opts.SystemPrompt != "" {
		msgs = append([]chatMessage{{Role: "system", Content: p.opts.SystemPrompt}}, msgs...)
	}
	body, err := json.Marshal(chatRequest{Model: p.opts.Model, Messages: msgs, Stream: true,
		MaxTokens: p.opts.MaxTokens, Temperature: p.opts.Temperature})
	if err != nil {
		return nil, fmt.Errorf("encoding the chat request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opts.BaseURL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building the chat request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if key := keyFor(p.opts.BaseURL); key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// url.Error repeats the method and URL; the cause is what helps.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("could not reach the model server: %w", err)
	}
	return resp, nil
}

// explain replaces the I/O error a deadline causes with one that says
// which timeout ran out, since the fix (a longer timeout_seconds) differs.
func (p *chatPredictor) explain(ctx context.Context, err error) error {
	if p.timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the model server did not finish within %s; raise options.timeout_seconds or ask for a shorter reply: %w", p.timeout, ctx.Err())
	}
	return err
}

// statusError quotes the start of the server's answer, which usually says
// what was wrong (unknown model, bad key). The status line's reason phrase
// is the server's text, not Go's, so the code is named by Go's own words.
func statusError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyRead))
	// redacted before the body is squeezed and clipped: either could join
	// or cut a key so that it no longer matches
	snippet := strings.Join(strings.Fields(redactKeys(string(body))), " ")
	status := strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	return fmt.Errorf("the model server answered %s%s: %s", status, retryAfter(resp), clip(snippet, 200))
}

// Retries of a busy model server (429, 503): at most maxRetries more
// requests, each after the wait its Retry-After asks (firstRetryWait, then
// twice that, without one), when that wait is at most maxRetryWait and
// ends before the job's time limit. A longer wait fails the job at once,
// saying when to try again. Until 2026-12-07 the first 429 failed the job.
const (
	maxRetries     = 2
	firstRetryWait = time.Second
	maxRetryWait   = 10 * time.Second
)

// postRetrying posts msgs, again while the server answers busy (above).
func (p *chatPredictor) postRetrying(ctx context.Context, msgs []chatMessage) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := p.post(ctx, msgs)
		if err != nil || attempt == maxRetries {
			return resp, err
		}
		wait, busy := retryWait(resp, p.firstRetry<<attempt)
		if deadline, ok := ctx.Deadline(); !busy || wait > maxRetryWait || (ok && time.Until(deadline) <= wait) {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBodyRead)) // the connection may be reused
		resp.Body.Close()
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// retryWait is how long a busy server (429, 503) asks to wait, from its
// Retry-After (seconds, or an HTTP date), or otherwise; busy is false for
// any other answer, and for a Retry-After that cannot be read.
func retryWait(resp *http.Response, otherwise time.Duration) (wait time.Duration, busy bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	value := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if value == "" {
		return otherwise, true
	}
	if secs, err := strconv.Atoi(value); err == nil && secs >= 0 {
		return time.Duration(min(secs, int(maxToldWait/time.Second)+1)) * time.Second, true // no overflow
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}

// retryAfter says when a busy or overloaded server (429, 503) asks to be
// tried again, from its Retry-After (seconds, or an HTTP date): the member
// learns when to send the job again (until 2026-12-07 the header was
// dropped). Empty when there is none or it cannot be read.
func retryAfter(resp *http.Response) string {
	wait, busy := retryWait(resp, -1)
	if !busy || wait < 0 || wait > maxToldWait {
		return ""
	}
	return fmt.Sprintf(" (it asks to be tried again in %s)", max(wait.Round(time.Second), time.Second))
}

// maxToldWait is the longest Retry-After told; a longer one is taken for
// a server's mistake.
const maxToldWait = 7 * 24 * time.Hour

// minKeyPrefix is the shortest start of a key that redactKeys hides;
// shorter ones say little more than a key's format ("sk-").
const minKeyPrefix = 8

// redactKeys hides the operator's keys in a text that came from a model
// server — its error answer, its stream, its reply, an error quoting it (a
// redirect's address, a malformed status line) — since a server may echo
// the Authorization header, and jobs' errors and results are shown to
// their users. It hides every configured key, not only the origin's, and
// every start of a key (minKeyPrefix characters or more) wherever it is:
// at the end of a text a read limit or a reply still streaming may have
// cut it, and a server may quote a key shortened ("bad key sk-SECRETK...":
// until 2026-12-04 that start was shown, probe p20). Texts go through it
// before anything clips them.
func redactKeys(s string) string {
	keys, _ := serverKeys()
	for _, key := range keys {
		s = strings.ReplaceAll(s, key, redacted)
	}
	for _, key := range keys {
		if len(key) < minKeyPrefix {
			continue
		}
		var out strings.Builder
		for {
			i := strings.Index(s, key[:minKeyPrefix])
			if i < 0 {
				break
			}
			n := minKeyPrefix
			for n < len(key) && i+n < len(s) && s[i+n] == key[n] {
				n++
			}
			out.WriteString(s[:i])
			out.WriteString(redacted)
			s = s[i+n:]
		}
		out.WriteString(s)
		s = out.String()
	}
	return s
}

const redacted = "[redacted]"

// serverError is an error of a chat job with the keys redacted from its
// text, and the model server's address too (withoutAddresses): detail has
// the address, for the operator's log. errors.Is still sees the cause (a
// deadline, a cancel); errors.As does not, so no typed error inside can
// bring its own, unredacted, text.
type serverError struct {
	msg    string
	detail string // msg with the address; empty when msg named none
	err    error
}

func (e *serverError) Error() string        { return e.msg }
func (e *serverError) Is(target error) bool { return errors.Is(e.err, target) }

func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// completion is a whole, non-streamed answer: some OpenAI-compatible
// servers, or some of their modes, ignore "stream": true and answer one
// application/json object.
type completion struct {
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// maxCompletionBytes bounds a non-streamed answer, and one line of a
// stream: a reply of maxReplyBytes may take twice that JSON-escaped (\u
// escapes), plus the fields around it. Until 2026-12-04 a stream's line was
// held to maxReplyBytes, and a 600 KB Korean reply sent in one chunk failed
// with "bufio.Scanner: token too long" (probe p20).
const maxCompletionBytes = 2*maxReplyBytes + 64<<10

func readCompletion(body io.Reader) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(body, maxCompletionBytes+1))
	if err != nil {
		return "", fmt.Errorf("reading the model server's answer: %w", err)
	}
	if len(raw) > maxCompletionBytes {
		return "", errReplyTooLong
	}
	var c completion
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", fmt.Errorf("the model server answered JSON that is not a chat completion (%q): %w", clip(redactKeys(string(raw)), 80), err)
	}
	switch {
	case c.Error != nil:
		return "", fmt.Errorf("the model server reported an error: %s", clip(redactKeys(c.Error.Message), 200))
	case len(c.Choices) == 0:
		return "", errors.New("the model server answered a chat completion without choices; check options.model")
	case len(c.Choices[0].Message.Content) > maxReplyBytes:
		return "", errReplyTooLong
	}
	return c.Choices[0].Message.Content, nil
}

var errReplyTooLong = fmt.Errorf("the model's reply exceeded %d MB; set options.max_tokens lower", maxReplyBytes>>20)

// readStream reads an OpenAI-style SSE stream and returns the whole reply.
// Each "data:" line is one event, as OpenAI-compatible servers send them;
// comments, "event:" lines and blank separators are skipped. A stream that
// ends after a chunk with a finish_reason is whole without [DONE] (some
// servers leave it out); one with no data line at all was no stream, and
// its contentType is named.
func readStream(body io.Reader, contentType string, partial *throttle) (string, error) {
	sc := bufio.NewScanner(&cappedReader{r: body, left: maxStreamBytes, err: errStreamTooLong})
	sc.Buffer(make([]byte, 0, 64<<10), maxCompletionBytes)
	var text strings.Builder
	events, finished := 0, false
	for sc.Scan() {
		data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data:"))
		if !ok {
			continue
		}
		events++
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			return text.String(), nil
		}
		piece, done, err := chunkContent(data)
		if err != nil {
			if errors.Is(sc.Err(), errStreamTooLong) {
				return "", errStreamTooLong // the bound cut this last line
			}
			return "", err
		}
		finished = finished || done
		if piece == "" {
			continue
		}
		if text.Len()+len(piece) > maxReplyBytes {
			return "", errReplyTooLong
		}
		text.WriteString(piece)
		partial.offer(text.String())
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return "", errReplyTooLong
		}
		if errors.Is(err, errStreamTooLong) {
			return "", err
		}
		return "", fmt.Errorf("reading the reply stream: %w", err)
	}
	switch {
	case finished:
		return text.String(), nil
	case events == 0:
		if contentType == "" {
			contentType = "no content type"
		}
		return "", fmt.Errorf("the model server answered with %s, neither a chat completion (application/json) "+
			"nor a stream of them (text/event-stream); check options.base_url", clip(redactKeys(contentType), 80))
	}
	return "", errors.New("the model server's stream ended before [DONE] (stream cut); try again")
}

// maxStreamBytes bounds a reply stream as sent: its chunks' JSON around
// each token (about 50 times the token's bytes) for a 1 MB reply, and no
// more. A server that sends keep-alive comments or empty chunks without
// end kept a worker reading for the job's whole time limit until
// 2026-12-07, at 44% of a core on loopback. A variable for its test.
var maxStreamBytes int64 = 64 << 20

var errStreamTooLong = fmt.Errorf("the model server sent more than %d MB without finishing its reply (comments or empty chunks without end?); check the server", maxStreamBytes>>20)

// chunkContent returns a stream chunk's text, and whether it ends the
// reply (a finish_reason).
func chunkContent(data []byte) (string, bool, error) {
	var chunk streamChunk
	if err := json.Unmarshal(data, &chunk); err != nil {
		return "", false, fmt.Errorf("the model server sent a malformed stream chunk %q: %w", clip(redactKeys(string(data)), 80), err)
	}
	if chunk.Error != nil {
		return "", false, fmt.Errorf("the model server reported an error mid-stream: %s", clip(redactKeys(chunk.Error.Message), 200))
	}
	if len(chunk.Choices) == 0 {
		return "", false, nil
	}
	c := chunk.Choices[0]
	return c.Delta.Content, c.FinishReason != nil && *c.FinishReason != "", nil
}

// throttle passes text to fn at most once per every; fn may be nil.
type throttle struct {
	every time.Duration
	last  time.Time
	fn    func(string)
}

func (t *throttle) offer(text string) {
	if t.fn == nil {
		return
	}
	if now := time.Now(); t.last.IsZero() || now.Sub(t.last) >= t.every {
		t.last = now
		t.fn(text)
	}
}
