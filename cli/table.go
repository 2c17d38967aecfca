package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// writeTable writes rows (the header first) as text columns two spaces
// apart, as text/tabwriter did, but padded by the width a terminal draws:
// Hangul, CJK and full-width letters take two columns, combining marks and
// invisible characters none. Until 2026-12-04 tabwriter counted runes, and
// every row with a Korean name (운영자, 자유게시판) was shifted left of the
// header.
func writeTable(out io.Writer, rows [][]string) error {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			cell = escapeControls(cell)
			row[i] = cell
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// escapeControls writes the control characters of s as Go escapes (\x1b,
// \n): a cell is one line, and a job's error stored before 2026-12-07 (a
// model server's, as it sent it) could clear the operator's screen.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) { // C0, DEL and C1: all below 0x100
			fmt.Fprintf(&b, "\\x%02x", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// displayWidth is the number of terminal columns s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) || '\u1160' <= r && r <= '\u11ff':
			// combining marks, format characters, and the vowels and final
			// consonants of decomposed Hangul, drawn into the syllable before
		case wide(width.LookupRune(r).Kind()):
			n += 2
		default:
			n++
		}
	}
	return n
}

func wide(k width.Kind) bool { return k == width.EastAsianWide || k == width.EastAsianFullwidth }
