package hooks

import "github.com/pocketbase/pocketbase/core"

// registerLikes keeps posts.likes_count exact. Who may like, and the one
// like per (post, user), are the collection's rules and unique index.
func registerLikes(app core.App) {
	bindFixedFields(app, "post_likes", "post", "user")
	childCount{child: "post_likes", relation: "post", parent: "posts", counter: "likes_count",
		where: "TRUE"}.bind(app)
}
