package hooks

import "github.com/pocketbase/pocketbase/core"

// registerLikes announces posts.likes_count (kept by a trigger). Who may like, and the one
// like per (post, user), are the collection's rules and unique index.
func registerLikes(app core.App) {
	bindFixedFields(app, "post_likes", "post", "user")
	countedBy{child: "post_likes", relation: "post", parent: "posts"}.bind(app)
}
