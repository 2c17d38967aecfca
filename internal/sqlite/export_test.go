package sqlite

import (
	"context"
	"database/sql"
)

// KeptTexts is what one connection of db keeps compiled (its texts, one
// each).
func KeptTexts(db *sql.DB) ([]string, error) {
	c, err := db.Conn(context.Background())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var texts []string
	err = c.Raw(func(dc any) error {
		for text := range dc.(*conn).stmts {
			texts = append(texts, text)
		}
		return nil
	})
	return texts, err
}
