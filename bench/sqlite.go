package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
)

// measureSQLite is the physical limit of every write scenario: single-row
// insert transactions a second, one after another, through PocketBase's own
// connection (modernc SQLite driver, dbx, PocketBase's pragmas: WAL,
// synchronous=NORMAL…) on a comment-sized row with a primary key and one
// secondary index, as a comments insert has.
func measureSQLite(path string, cfg config) (*sample, error) {
	db, err := core.DefaultDBConnect(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.DB().SetMaxOpenConns(1) // PocketBase writes through one connection too
	for _, q := range []string{
		`CREATE TABLE rows (id TEXT PRIMARY KEY NOT NULL, post TEXT NOT NULL, author TEXT NOT NULL,
			content TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL)`,
		`CREATE INDEX idx_rows_post_created ON rows (post, created)`,
	} {
		if _, err := db.NewQuery(q).Execute(); err != nil {
			return nil, err
		}
	}
	insert := func() error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		now := dbTime(time.Now())
		_, err = tx.NewQuery(`INSERT INTO rows (id, post, author, content, created, updated)
			VALUES ({:id}, {:post}, {:author}, {:content}, {:now}, {:now})`).Bind(dbx.Params{
			"id": security.PseudorandomString(15), "post": postID(int(time.Now().UnixNano() % 100_000)),
			"author": userID(1), "content": "벤치마크 댓글: 좋은 글 감사합니다.", "now": now}).Execute()
		if err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	s := forDuration(1, cfg.SQLiteTime/4, cfg.SQLiteTime, func(int, *rand.Rand) error { return insert() })
	if s.Errors > 0 {
		return nil, fmt.Errorf("inserting: %s", s.FirstErr)
	}
	return s, nil
}

// physicalLimit is the better of the measurements taken before and after
// the scenarios: other load on the machine only ever lowers it.
func physicalLimit(before, after *sample) *result {
	res := &result{Scenario: "S0", Name: "SQLite insert tx (physical limit)", Target: "sqlite", Unit: "tx/s",
		Concurrency: 1, Size: "1 row per transaction"}
	best := before
	if after != nil && after.rps() > before.rps() {
		best = after
	}
	res.addRound(best)
	res.finish()
	res.Extra = map[string]float64{"before_tx_per_s": before.rps()}
	if after != nil {
		res.Extra["after_tx_per_s"] = after.rps()
	}
	return res
}
