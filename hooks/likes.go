package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"madang/internal/access"
)

// registerLikes announces posts.likes_count (kept by a trigger). Who may like, and the one
// like per (post, user), are the collection's rules and unique index.
func registerLikes(app core.App) {
	access.Fixed(app, access.CollectionNamePostLikes, "post", "user")
	countedBy{child: access.CollectionNamePostLikes, relation: "post", parent: access.CollectionNamePosts}.bind(app)
}
