package cli

import (
	"strings"
	"testing"
)

// TestWriteTablePadsByDisplayWidth: Hangul and full-width letters take two
// columns, combining marks and decomposed Hangul's vowels none, so every
// column starts where its header does (until 2026-12-04 rows with a
// Korean name were shifted left, padded by rune count).
func TestWriteTablePadsByDisplayWidth(t *testing.T) {
	var out strings.Builder
	err := writeTable(&out, [][]string{
		{"ID", "NAME", "ROLE"},
		{"u1", "운영자", "admin"},
		{"u2", "alice", "member"},
		{"u3", "ｊａｎｅ", "member"},
		{"u4", "Zoe\u0301", "member"}, // Zoé with a combining accent
		{"u5", "미\u1102수", "member"},  // a lone leading consonant: two columns
		{"u6", "\u1106\u1175\u11ab", "member"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ID  NAME      ROLE\n" +
		"u1  운영자    admin\n" +
		"u2  alice     member\n" +
		"u3  ｊａｎｅ  member\n" +
		"u4  Zoe\u0301       member\n" +
		"u5  미\u1102수    member\n" +
		"u6  \u1106\u1175\u11ab        member\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	for s, w := range map[string]int{"": 0, "abc": 3, "자유게시판": 10, "회원 라운지": 11, "ｊａｎｅ": 8, "e\u0301": 1, "a\u200bb": 2, "❤": 1} {
		if got := displayWidth(s); got != w {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, w)
		}
	}
}

// TestWriteTableShowsControls: a cell's control characters are written as
// escapes, so a stored escape sequence (a model server's error kept before
// 2026-12-07) cannot clear the operator's screen or break a row in two.
func TestWriteTableShowsControls(t *testing.T) {
	var out strings.Builder
	if err := writeTable(&out, [][]string{{"ID", "ERROR"}, {"j1", "bad\x1b[2J\x1b]0;T\x07 two\nlines\x00\u0085"}}); err != nil {
		t.Fatal(err)
	}
	want := "ID  ERROR\n" + `j1  bad\x1b[2J\x1b]0;T\x07 two\x0alines\x00\x85` + "\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}
