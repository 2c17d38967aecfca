// Command baseline is the benchmark's reference server: bare PocketBase
// v0.40.4 with Madang's migrations — the same collections, indexes and API
// rules — and none of Madang's hooks, routes or commands.
package main

import (
	"log"

	"github.com/pocketbase/pocketbase"

	_ "madang/pb_migrations"
)

func main() {
	if err := pocketbase.New().Start(); err != nil {
		log.Fatal(err)
	}
}
