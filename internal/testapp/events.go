package testapp

import "fmt"

// Events counts the hook events of a request that writes records, for
// tests.ApiScenario.ExpectedEvents, as PocketBase's own tests list them
// (apis/record_crud_test.go): the records API's request event, the model
// and record events of each record created, updated or deleted (a delete
// cascades to several), and OnRecordEnrich for each record in the answer.
// The record events of the writes not made are expected 0 times, so an
// extra record write fails the scenario. Model events of no write are not
// listed: PocketBase's log writer saves its own models from a goroutine.
type Events struct {
	Request                   string // the records API action: Create, Update or Delete; "" for a route of Madang's own
	Created, Updated, Deleted int
	Enriched                  int
	// Unvalidated of the created records were saved without validation
	// (notifications, built from records the event just read)
	Unvalidated int
}

// Map is the ExpectedEvents of e.
func (e Events) Map() map[string]int {
	m := map[string]int{"OnRecordEnrich": e.Enriched}
	if e.Request != "" {
		m["OnRecord"+e.Request+"Request"] = 1
	}
	for action, n := range map[string]int{"Create": e.Created, "Update": e.Updated, "Delete": e.Deleted} {
		for _, event := range []string{"OnRecord%s", "OnRecord%sExecute", "OnRecordAfter%sSuccess"} {
			m[fmt.Sprintf(event, action)] = n
		}
		if n > 0 {
			for _, event := range []string{"OnModel%s", "OnModel%sExecute", "OnModelAfter%sSuccess"} {
				m[fmt.Sprintf(event, action)] = n
			}
		}
	}
	m["OnRecordValidate"] = e.Created + e.Updated - e.Unvalidated
	if e.Created+e.Updated-e.Unvalidated > 0 {
		m["OnModelValidate"] = e.Created + e.Updated - e.Unvalidated
	}
	return m
}

// CreateEvents are the events of a records API create.
func CreateEvents() map[string]int {
	return Events{Request: "Create", Created: 1, Enriched: 1}.Map()
}

// UpdateEvents are the events of a records API update.
func UpdateEvents() map[string]int {
	return Events{Request: "Update", Updated: 1, Enriched: 1}.Map()
}

// DeleteEvents are the events of a records API delete that deletes n
// records: the one asked for and its cascade.
func DeleteEvents(n int) map[string]int {
	return Events{Request: "Delete", Deleted: n}.Map()
}
