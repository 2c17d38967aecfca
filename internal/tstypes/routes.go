package tstypes

import (
	"net/http"
	"strings"

	"madang/ai"
	"madang/chat"
	"madang/community"
	"madang/hooks"
)

// Route is one custom route: its method and path as registered, who may
// call it, its success status, and the Go types of its query parameters,
// JSON body and answer (nil: none). A type is a handler's own struct where
// the handler has one (through the package's exported alias), else a
// struct below that declares the shape the handler builds in a map;
// recordOf, listOf and raw stand for answers that are records or not JSON.
type Route struct {
	Method, Path string
	Doc          string
	Status       int
	Query        any
	Body         any
	Response     any
}

type (
	recordOf string // one record of this collection, as the records API sends it
	listOf   string // a page of this collection's records, as the list API sends it
	raw      string // a TypeScript type written out (answers that are not JSON)
)

// Routes are Madang's custom routes. The tests check that they are exactly
// the routes the app registers besides PocketBase's, and call each on a
// real app to compare its answer's keys with the declared shape.
var Routes = []Route{
	{Method: http.MethodGet, Path: "/api/posts/search", Status: http.StatusOK, Query: searchQuery{}, Response: listOf("posts"),
		Doc: "Posts whose title or content contain every word of q, among those the requester may list (README Search)."},
	{Method: http.MethodGet, Path: "/api/comments/search", Status: http.StatusOK, Query: commentsSearchQuery{}, Response: listOf("comments"),
		Doc: "Comments whose content contains every word of q, among those the requester may list (README Search)."},
	{Method: http.MethodGet, Path: "/api/feed/recent", Status: http.StatusOK, Query: feedQuery{}, Response: listOf("posts"),
		Doc: "Visible posts of every board the requester can read, newest first; never counted (totalItems and totalPages are -1)."},
	{Method: http.MethodGet, Path: "/api/feed/popular", Status: http.StatusOK, Query: feedQuery{}, Response: listOf("posts"),
		Doc: "Visible posts of the last 7 days by likes, comments and views; never counted (totalItems and totalPages are -1)."},
	{Method: http.MethodGet, Path: "/api/users/me/export", Status: http.StatusOK, Response: exportAnswer{},
		Doc: "Signed-in user: a JSON download of everything they own."},
	{Method: http.MethodPost, Path: "/api/users/sign-out-everywhere", Status: http.StatusNoContent, Response: raw("null"),
		Doc: "Signed-in user: rotates their token key, so every token and realtime connection ends."},
	{Method: http.MethodPost, Path: "/api/users/{id}/moderate", Status: http.StatusOK, Body: moderateBody{}, Response: recordOf("users"),
		Doc: "Admins (on members) and superusers: remove a member's avatar or reset their name."},
	{Method: http.MethodGet, Path: "/api/users/suggest", Status: http.StatusOK, Query: suggestQuery{}, Response: suggestAnswer{},
		Doc: "Signed-in user: up to 8 public profiles whose name starts with q (@mention autocomplete)."},
	{Method: http.MethodGet, Path: "/api/notifications/unread", Status: http.StatusOK, Response: unreadNotifications{},
		Doc: "Signed-in user: their unread notifications, counted by kind."},
	{Method: http.MethodPost, Path: "/api/notifications/read", Status: http.StatusOK, Body: raw("{ ids: string[] } | { all: true }"), Response: markReadAnswer{},
		Doc: "Signed-in user: marks {ids} (at most 500) or {all: true} of their notifications read."},
	{Method: http.MethodPost, Path: "/api/reports/{id}/resolve", Status: http.StatusOK, Body: resolveBody{}, Response: recordOf("reports"),
		Doc: "Admins: dismiss the report, or hide the reported content, or ban its author; every open report of the target with it."},
	{Method: http.MethodGet, Path: "/api/reports/queue", Status: http.StatusOK, Query: pageQuery{}, Response: queueAnswer{},
		Doc: "Admins: open reports grouped by target, the most reported first."},
	{Method: http.MethodGet, Path: "/api/reports/ai-export", Status: http.StatusOK, Query: boardQuery{}, Response: raw("string"),
		Doc: "Admins: the moderation assist's resolved reports as CSV (text,label,ai_label,ai_score,resolution,target_kind,target_id,board,resolved_at)."},
	{Method: http.MethodPost, Path: "/api/ais/{id}/train", Status: http.StatusAccepted, Response: recordOf("ais"),
		Doc: "Admins: starts training; the model's status is training until ready or failed."},
	{Method: http.MethodPost, Path: "/api/ais/{id}/infer", Status: http.StatusAccepted, Body: ai.InferBody{}, Response: recordOf("ai_logs"),
		Doc: "Signed-in, not banned: queues a job on a ready model; subscribe to the ai_logs record for its result."},
	{Method: http.MethodPost, Path: "/api/ai_logs/{id}/cancel", Status: http.StatusOK, Response: recordOf("ai_logs"),
		Doc: "The job's user or an admin: cancels the job unless it has finished."},
	{Method: http.MethodGet, Path: "/api/ai/stats", Status: http.StatusOK, Response: ai.StatsResponse{},
		Doc: "Admins: the AI queues now, and each model's jobs."},
	{Method: http.MethodPost, Path: "/api/chat/ticket", Status: http.StatusOK, Response: ticketAnswer{},
		Doc: "Signed-in user: a single-use ticket for GET /api/chat/ws, valid 60 s."},
	{Method: http.MethodGet, Path: "/api/chat/ws", Status: http.StatusSwitchingProtocols, Query: wsQuery{}, Response: raw("never"),
		Doc: "WebSocket: open with new WebSocket(url); frames are ChatClientFrame (sent) and ChatServerFrame (received)."},
	{Method: http.MethodPost, Path: "/api/chat/sessions/{id}/typing", Status: http.StatusNoContent, Response: raw("null"),
		Doc: "A session's member: tells the others they are typing."},
	{Method: http.MethodPost, Path: "/api/chat/sessions/{id}/read", Status: http.StatusOK, Response: recordOf("chat_reads"),
		Doc: "A session's member: they have read it up to now."},
	{Method: http.MethodPost, Path: "/api/chat/sessions/{id}/leave", Status: http.StatusNoContent, Response: raw("null"),
		Doc: "A group chat's member other than its owner: leaves it."},
	{Method: http.MethodGet, Path: "/api/metrics", Status: http.StatusOK, Response: raw("string"),
		Doc: "Superusers, or the operator's MADANG_METRICS_TOKEN as \"Authorization: Bearer …\": Prometheus text format, names prefixed madang_."},
	{Method: http.MethodGet, Path: "/api/realtime/config", Status: http.StatusOK, Response: realtimeConfig{},
		Doc: "Anyone: whether the Centrifugo realtime tier is on, the WebSocket URL browsers connect to, and what it carries: collections on personal channels, collections on shared channels, other topic prefixes (all empty when off)."},
	{Method: http.MethodGet, Path: "/api/realtime/token", Status: http.StatusOK, Response: realtimeToken{},
		Doc: "Signed-in, not banned user: a Centrifugo connection token; 404 when the tier is off."},
	{Method: http.MethodPost, Path: "/api/realtime/token", Status: http.StatusOK, Response: realtimeToken{},
		Doc: "The same as GET, for Centrifugo clients that fetch their token with POST."},
	{Method: http.MethodPost, Path: "/api/realtime/subscribe", Status: http.StatusOK, Body: subscribeProxyBody{},
		Response: raw("{ result: {} } | { error: { code: number; message: string } }"),
		Doc:      "Centrifugo's subscribe proxy (server to server, with the API key header); not for clients. 404 when the tier is off."},
	{Method: http.MethodGet, Path: "/api/chat/unread", Status: http.StatusOK, Response: chatUnread{},
		Doc: "Signed-in user: unread messages per chat session (sessions without unread ones are left out)."},
}

// Named are Go types written as named TypeScript types even where no route
// answers them directly.
var Named = []any{chat.ClientFrame{}, chat.ServerFrame{}}

// names are the TypeScript names of Go types ("pkg.type"); other named
// types are called by package and type name (ai.aiStats → AiStats).
var names = map[string]string{
	"community.queueItem": "ReportQueueItem",
}

// overrides type fields the Go type alone does not ("pkg.type.json"): a
// leading "?" makes the field optional.
var overrides = map[string]string{
	"ai.inferBody.input":              "AIJobInput",
	"ai.inferBody.description":        "?string",
	"chat.serverFrame.record":         "ChatsRecord",
	"chat.clientFrame.content":        "?string", // a message's; join, leave and typing carry none
	"chat.clientFrame.type":           union("join", "leave", "message", "typing"),
	"chat.serverFrame.type":           union("message", "update", "delete", "typing", "joined", "error"),
	"community.queueItem.target_kind": "ReportsRecord['target_kind']",
	"community.queueItem.reasons":     "Partial<Record<ReportsRecord['reason'], number>>",
	"tstypes.resolveBody.action":      union(community.ResolveDismiss, community.ResolveHide, community.ResolveBan),
	"tstypes.moderateBody.action":     union(hooks.ActionAvatarRemove, hooks.ActionNameReset),
}

// The shapes of queries, bodies and answers the handlers build without a
// named type (a map or a struct inside the handler).

type pageQuery struct {
	Page    int `json:"page,omitempty"`
	PerPage int `json:"perPage,omitempty"`
}

type feedQuery struct {
	pageQuery
	Filter string `json:"filter,omitempty"`
	Expand string `json:"expand,omitempty"`
	Fields string `json:"fields,omitempty"`
}

type searchQuery struct {
	feedQuery
	Q         string `json:"q"`
	Board     string `json:"board,omitempty"`
	Category  string `json:"category,omitempty"`
	Sort      string `json:"sort,omitempty"`
	SkipTotal bool   `json:"skipTotal,omitempty"`
}

type commentsSearchQuery struct {
	feedQuery
	Q         string `json:"q"`
	Board     string `json:"board,omitempty"`
	Post      string `json:"post,omitempty"`
	Sort      string `json:"sort,omitempty"`
	SkipTotal bool   `json:"skipTotal,omitempty"`
}

type boardQuery struct {
	Board string `json:"board,omitempty"`
}

type suggestQuery struct {
	Q string `json:"q"`
}

type wsQuery struct {
	Ticket string `json:"ticket"`
}

type exportAnswer struct {
	ExportedAt    string `json:"exported_at"`
	Profile       any    `json:"profile" ts:"UsersRecord"`
	Posts         any    `json:"posts" ts:"PostsRecord[]"`
	Comments      any    `json:"comments" ts:"CommentsRecord[]"`
	PostLikes     any    `json:"post_likes" ts:"PostLikesRecord[]"`
	Bookmarks     any    `json:"bookmarks" ts:"BookmarksRecord[]"`
	Blocks        any    `json:"blocks" ts:"BlocksRecord[]"`
	ChatSessions  any    `json:"chat_sessions" ts:"ChatSessionsRecord[]"`
	Chats         any    `json:"chats" ts:"ChatsRecord[]"`
	ChatReads     any    `json:"chat_reads" ts:"ChatReadsRecord[]"`
	AILogs        any    `json:"ai_logs" ts:"AiLogsRecord[]"`
	Notifications any    `json:"notifications" ts:"NotificationsRecord[]"`
	Reports       any    `json:"reports" ts:"ReportsRecord[]"`
}

type moderateBody struct {
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
}

type suggestAnswer struct {
	Items any `json:"items" ts:"UsersRecord[]"`
}

type unreadNotifications struct {
	Total int            `json:"total"`
	Kinds map[string]int `json:"kinds" ts:"Partial<Record<NotificationsRecord['kind'], number>>"`
}

type markReadAnswer struct {
	Marked int `json:"marked"`
}

type resolveBody struct {
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
}

type queueAnswer struct {
	Page    int                   `json:"page"`
	PerPage int                   `json:"perPage"`
	Items   []community.QueueItem `json:"items"`
}

type ticketAnswer struct {
	Ticket  string `json:"ticket"`
	Expires string `json:"expires"`
}

type chatUnread struct {
	Sessions map[string]int `json:"sessions"`
	Total    int            `json:"total"`
}

type realtimeConfig struct {
	Enabled  bool     `json:"enabled"`
	URL      string   `json:"url"`
	Personal []string `json:"personal"`
	Shared   []string `json:"shared"`
	Topics   []string `json:"topics"`
}

type realtimeToken struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

type subscribeProxyBody struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
}

// union is a TypeScript union of string literals.
func union(values ...string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = quote(v)
	}
	return strings.Join(quoted, " | ")
}
