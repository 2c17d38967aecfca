package tstypes

// What the collections alone do not say about records: the fields Madang
// computes in responses, and the shapes of JSON fields it knows. The tests
// read real responses of each collection and compare their keys with the
// generated record types, so a computed field added without a line here
// fails them.

// computed are the fields Madang adds to records in responses (enrich
// hooks with WithCustomData): not stored, so not in the collections.
var computed = map[string][]field{
	"boards": {{name: "can_write", ts: "boolean",
		doc: "whether the requester may post on the board (hooks/boards.go)"}},
	"posts": {{name: "anonymous_label", ts: "string", optional: true,
		doc: "on anonymous boards: 익명 (community/anonymous.go); author is then empty for everyone but admins and the writer"}},
	"comments": {{name: "anonymous_label", ts: "string", optional: true,
		doc: "on anonymous boards: 익명1, 익명2, … or 익명(글쓴이) (community/anonymous.go)"}},
	"ais": {{name: "input_features", ts: "string[]", optional: true,
		doc: "a trained linear_regression model's input feature names (ai/records.go)"}},
}

// jsonTypes types JSON fields ("collection.field") whose shape Madang
// knows; the others are unknown. An empty JSON field is null.
var jsonTypes = map[string]string{
	"users.notify_mute": "Array<NotificationsRecord['kind']> | null",
	"ais.options":       "AIOptions | null",
	"ais.metrics":       "Record<string, number> | null",
	"ai_logs.input":     "AIJobInput | null",
	"ai_logs.result":    "AIJobResult | null",
}
