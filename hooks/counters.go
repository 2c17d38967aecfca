package hooks

import "github.com/pocketbase/pocketbase/core"

// protectCounters makes the server the only writer of collection's counter
// fields. A create starts them at 0; an update keeps the stored values and
// leaves the columns out of its UPDATE, so an edit racing with a counter's
// atomic SQL increment cannot write a stale value back.
func protectCounters(app core.App, collection string, fields ...string) {
	app.OnRecordCreate(collection).BindFunc(func(e *core.RecordEvent) error {
		for _, f := range fields {
			e.Record.Set(f, 0)
		}
		return e.Next()
	})
	app.OnRecordUpdate(collection).BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		for _, f := range fields {
			e.Record.Set(f, original.Get(f))
		}
		e.Record.IgnoreUnchangedFields(true)
		return e.Next()
	})
}
