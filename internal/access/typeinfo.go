package access

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
)

// Visibility tells what the access layer does to a field of c in a
// response, for internal/tstypes (the TypeScript definitions): private
// fields reach only some requesters (their owner, staff), so a client may
// not receive them; a hidden field the layer unhides reaches those same
// requesters and nobody else.
func Visibility(c *core.Collection, field string) (private, unhidden bool) {
	v, ok := visibilities[c.Name]
	if !ok {
		return false, false
	}
	if slices.Contains(v.unhide, field) {
		return true, true
	}
	if v.public != nil {
		return !v.public[field], false
	}
	return slices.Contains(v.private, field), false
}
