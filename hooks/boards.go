package hooks

import "github.com/pocketbase/pocketbase/core"

func registerBoards(app core.App) {
	protectCounters(app, "boards", "posts_count")
	app.OnRecordCreateRequest("boards").BindFunc(defaultVisible)
	app.OnRecordEnrich("boards").BindFunc(func(e *core.RecordEnrichEvent) error {
		e.Record.WithCustomData(true)
		e.Record.Set("can_write", CanWriteBoard(e.Record, e.RequestInfo.Auth))
		return e.Next()
	})
}

// defaultVisible makes is_visible default to true for API creates: a bool
// field cannot tell "false" from "not sent", and boards are public by intent.
func defaultVisible(e *core.RecordRequestEvent) error {
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	if _, sent := info.Body["is_visible"]; !sent {
		e.Record.Set("is_visible", true)
	}
	return e.Next()
}
