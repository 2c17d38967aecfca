package ai

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestOpenCSVAcceptsSpreadsheetExports(t *testing.T) {
	table, err := openCSV(strings.NewReader("\uFEFF\uFEFF name , \"note\"\r\n\r\nkim, \"said \"\"hi\"\"\r\nthen left\"\r\nlee, \"\"\"진짜\"\" quote\"\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(table.header, "|") != "name|note" {
		t.Fatalf("header %q", table.header)
	}
	var got []string
	var rows []int
	for {
		rec, row, err := table.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join(rec, "|"))
		rows = append(rows, row)
	}
	want := []string{"kim|said \"hi\"\nthen left", "lee|\"진짜\" quote"}
	if strings.Join(got, "¶") != strings.Join(want, "¶") {
		t.Errorf("records %q, want %q", got, want)
	}
	// Row numbers are file lines: the blank line 2 is skipped, and the
	// quoted line break makes the second record start on line 5.
	if rows[0] != 3 || rows[1] != 5 {
		t.Errorf("row numbers %v, want [3 5]", rows)
	}
}

// TestCSVQuotesAsSpreadsheetsWriteThem: a quote mark outside a quoted
// field, or a quoted field that goes on after its closing quote, is
// refused naming its line: read lazily, a text starting with a quoted word
// swallowed the rows after it (probe p20, 2026-12-04).
func TestCSVQuotesAsSpreadsheetsWriteThem(t *testing.T) {
	for _, tc := range []struct{ name, csv string }{
		{"a quoted word starts the field", "text,label\n좋아요,칭찬\n\"진짜\" 최고예요,칭찬\n별로,불만\n\"그냥\",보통\n"},
		{"a quote inside an unquoted field", "text,label\n좋아요,칭찬\n정말 \"진짜\" 최고,칭찬\n"},
		// read on to the end of the file, whose line was named until 2026-12-07
		{"a quote never closed", "text,label\n좋아요,칭찬\n\"진짜 최고,칭찬\n별로,불만\n그냥,보통\n괜찮아요,칭찬\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, err := openCSV(strings.NewReader(tc.csv))
			if err != nil {
				t.Fatal(err)
			}
			for err == nil {
				_, _, err = table.next()
			}
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(ie.Message, "line 3 has a quote mark") {
				t.Errorf("error %v, want one naming line 3's quote mark", err)
			}
		})
	}
}

func TestOpenCSVRejectsBadHeaders(t *testing.T) {
	wide := strings.Repeat("c,", maxDatasetColumns) + "c\n"
	for _, tc := range []struct{ name, csv, want string }{
		{"empty", "", "The dataset is empty"},
		{"only blank lines", "\r\n\n", "The dataset is empty"},
		{"only a BOM", "\uFEFF", "The dataset is empty"},
		{"blank name", "a, ,b\n", "Column 2 of the dataset's header has no name"},
		{"duplicate after trimming", "a, b,b \n", `names column "b" twice (columns 2 and 3)`},
		{"too wide", wide, "columns; at most 1000"},
		{"old Mac line ends", "a,b\r1,2\r3,4\r", "carriage return alone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := openCSV(strings.NewReader(tc.csv))
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != "dataset" || !strings.Contains(ie.Message, tc.want) {
				t.Errorf("error %v, want a dataset error containing %q", err, tc.want)
			}
		})
	}
	if _, err := openCSV(nil); err == nil || !strings.Contains(err.Error(), "upload a CSV file first") {
		t.Errorf("nil dataset: %v", err)
	}
}

func TestCSVNumberNamesTheCell(t *testing.T) {
	table := &csvTable{header: []string{"a", "price"}}
	for cell, want := range map[string]string{
		"12.5":    "",
		" -3e2 ":  "",
		"":        `at row 7, column 2 ("price"): the cell is empty`,
		"1,5":     `at row 7, column 2 ("price"): "1,5" is not a finite number`,
		"inf":     `"inf" is not a finite number`,
		"nan":     `"nan" is not a finite number`,
		".5":      "",
		"1.":      "",
		"+1.2E-3": "",
		// Go's ParseFloat reads these; a spreadsheet does not write them
		// (until 2026-12-04 they trained as 0.25, 10, 1000 and 1)
		"0x1p-2":   `"0x1p-2" is not a finite number`,
		"1_0":      `"1_0" is not a finite number`,
		"1e0_3":    `"1e0_3" is not a finite number`,
		"0b1":      `"0b1" is not a finite number`,
		"1e":       `"1e" is not a finite number`,
		".":        `"." is not a finite number`,
		"-":        `"-" is not a finite number`,
		"1e309":    `"1e309" is not a finite number`,
		"Infinity": `"Infinity" is not a finite number`,
	} {
		_, err := table.number([]string{"x", cell}, 7, 1)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("number(%q) error %v, want %q", cell, err, want)
		}
	}
}

func TestCSVStopsOversizedUploads(t *testing.T) {
	r := &cappedReader{r: strings.NewReader(strings.Repeat("x", 10)), left: 4, err: errDatasetTooLarge}
	data, err := io.ReadAll(r)
	if len(data) != 4 || !errors.Is(err, errDatasetTooLarge) {
		t.Errorf("read %d bytes, error %v; want 4 bytes then errDatasetTooLarge", len(data), err)
	}
	r = &cappedReader{r: strings.NewReader("abc"), left: 4, err: errDatasetTooLarge}
	if data, err := io.ReadAll(r); string(data) != "abc" || err != nil {
		t.Errorf("read %q, %v within the limit", data, err)
	}
}

func TestClip(t *testing.T) {
	if got := clip("가나다라", 2); got != "가나…" {
		t.Errorf("clip = %q", got)
	}
	if got := clip("ab", 2); got != "ab" {
		t.Errorf("clip = %q", got)
	}
}

func TestCSVStopsAtTheRowLimit(t *testing.T) {
	table, err := openCSV(strings.NewReader("a\n1\n2\n"))
	if err != nil {
		t.Fatal(err)
	}
	table.rows = maxDatasetRows - 1 // as if the rows before had been read
	if _, _, err := table.next(); err != nil {
		t.Fatalf("last allowed row: %v", err)
	}
	if _, _, err := table.next(); err == nil || !strings.Contains(err.Error(), "more than 1000000 rows") {
		t.Errorf("row past the limit: %v", err)
	}
}
