package ai

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Dataset limits keep one upload from exhausting the server's memory; the
// ais.dataset field already caps files at 50 MB, these hold for any reader.
const (
	maxDatasetBytes   = 64 << 20
	maxDatasetRows    = 1_000_000
	maxDatasetColumns = 1_000
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

var errDatasetTooLarge = inputErrorf("dataset",
	"The dataset is larger than %d MB; upload a smaller CSV file.", maxDatasetBytes>>20)

// csvTable streams a CSV dataset's rows after checking its header. Row
// numbers in its errors are the record's line in the file (the header is
// row 1), which is what a spreadsheet or text editor shows.
type csvTable struct {
	header []string
	r      *csv.Reader
	rows   int
}

// openCSV reads the header. Spreadsheet exports often start with a UTF-8
// BOM (a tool re-saving such a file may add a second) and end lines with
// CRLF; both are accepted. Quotes are as RFC 4180 and spreadsheets write
// them: a field in quotes, quotes inside it doubled. Until 2026-12-04 they
// were lazy, and a text that began with a quoted word ("진짜" 최고예요)
// swallowed the rows after it up to the next quote, with the last one's
// label, and the model still trained (probe p20).
func openCSV(dataset io.Reader) (*csvTable, error) {
	if dataset == nil {
		return nil, inputErrorf("dataset", "This model needs a dataset; upload a CSV file first.")
	}
	br := bufio.NewReader(&cappedReader{r: dataset, left: maxDatasetBytes + 1, err: errDatasetTooLarge})
	for {
		if head, _ := br.Peek(len(utf8BOM)); !bytes.Equal(head, utf8BOM) {
			break
		}
		br.Discard(len(utf8BOM))
	}
	r := csv.NewReader(br)
	r.TrimLeadingSpace = true
	r.ReuseRecord = true

	header, err := r.Read()
	if err == io.EOF {
		return nil, inputErrorf("dataset", "The dataset is empty; upload a CSV file with a header row and data rows.")
	}
	if err != nil {
		return nil, csvError(err)
	}
	t := &csvTable{header: make([]string, len(header)), r: r}
	if err := t.setHeader(header); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *csvTable) setHeader(header []string) error {
	for _, name := range header {
		if strings.Contains(name, "\r") {
			// encoding/csv ends lines at \n only: the whole file was one line
			return inputErrorf("dataset", "The dataset's lines end with a carriage return alone (old Mac line ends), "+
				"so its rows cannot be told apart; save it with Windows (CRLF) or Unix (LF) line ends.")
		}
	}
	if len(header) > maxDatasetColumns {
		return inputErrorf("dataset", "The dataset has %d columns; at most %d are supported.", len(header), maxDatasetColumns)
	}
	seen := make(map[string]int, len(header))
	for i, name := range header {
		name = strings.TrimSpace(name)
		if !utf8.ValidString(name) {
			return inputErrorf("dataset", "The dataset's header, column %d, is not valid UTF-8; %s", i+1, saveAsUTF8)
		}
		name = sameForm(name)
		if name == "" {
			return inputErrorf("dataset", "Column %d of the dataset's header has no name; name every column.", i+1)
		}
		if first, dup := seen[name]; dup {
			return inputErrorf("dataset", "The dataset's header names column %q twice (columns %d and %d); column names must be unique.", name, first+1, i+1)
		}
		seen[name] = i
		t.header[i] = name
	}
	return nil
}

// sameForm is the form in which names and labels are compared and stored:
// NFC, since Korean from some systems (macOS exports) arrives as
// decomposed jamo that look the same but compare unequal.
func sameForm(s string) string {
	return norm.NFC.String(s)
}

// column finds a column named by an option, listing the real ones if absent.
// Header names are in sameForm (setHeader), so the option is compared in it.
func (t *csvTable) column(name, option string) (int, error) {
	name = sameForm(name)
	for i, h := range t.header {
		if h == name {
			return i, nil
		}
	}
	return 0, inputErrorf("dataset", "The dataset has no column %q (set by options.%s); its columns are %s.", name, option, keyList(t.header))
}

// next returns the following data row and its row number, io.EOF at the end.
// The record is reused by the next call.
func (t *csvTable) next() ([]string, int, error) {
	rec, err := t.r.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		return nil, 0, csvError(err)
	}
	t.rows++
	if t.rows > maxDatasetRows {
		return nil, 0, inputErrorf("dataset", "The dataset has more than %d rows; upload a sample of it.", maxDatasetRows)
	}
	line, _ := t.r.FieldPos(0)
	for col, cell := range rec {
		if !utf8.ValidString(cell) {
			// names and labels that differ only in invalid bytes would
			// become equal once stored as JSON (U+FFFD)
			row, _ := t.r.FieldPos(col)
			return nil, 0, t.cellError(row, col, "the cell is not valid UTF-8; %s", saveAsUTF8)
		}
	}
	return rec, line, nil
}

const saveAsUTF8 = `save the file as UTF-8 (a spreadsheet's "CSV UTF-8").`

// cellError names a cell the way a person would look it up.
func (t *csvTable) cellError(row, col int, format string, args ...any) *InputError {
	return inputErrorf("dataset", "The dataset at row %d, column %d (%q): %s", row, col+1, t.header[col], fmt.Sprintf(format, args...))
}

// number parses a numeric cell. Only decimals as a spreadsheet writes them
// are numbers (decimal): Go's ParseFloat also reads 0x1p2 and 1_0, which
// would turn a typo into a value, and NaN and infinities, which would
// poison a fit.
func (t *csvTable) number(rec []string, row, col int) (float64, error) {
	cell := strings.TrimSpace(rec[col])
	if cell == "" {
		return 0, t.cellError(row, col, "the cell is empty; fill it with a number or remove the row.")
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil || !decimal(cell) || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, t.cellError(row, col, "%q is not a finite number.", clip(cell, 40))
	}
	return v, nil
}

// decimal reports whether s is [+-]digits[.digits][e[+-]digits], with
// digits on at least one side of the point: 12, -3.5, .5, 1., 1.2E-3.
func decimal(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	mantissa := digits()
	if i < len(s) && s[i] == '.' {
		i++
		mantissa += digits()
	}
	if mantissa == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

func csvError(err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("reading the dataset: %w", err)
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return inputErrorf("dataset", "The dataset's row %d has a different number of fields than its header; every row needs one value per column.", pe.StartLine)
	}
	// the line the field began on: an unclosed quote makes the reader go
	// on to the end of the file, where pe.Line then pointed (until 2026-12-07)
	if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
		return inputErrorf("dataset", "The dataset's line %d has a quote mark (\") where CSV cannot have one: "+
			"a field with quote marks must be in quotes itself, with each quote mark inside doubled "+
			"(\"\"\"진짜\"\" 최고예요\" for \"진짜\" 최고예요), as a spreadsheet saves it.", pe.StartLine)
	}
	return inputErrorf("dataset", "The dataset is not valid CSV at row %d, column %d: %v.", pe.Line, pe.Column, pe.Err)
}

// cappedReader fails with err once left bytes were read, so an endless or
// oversized upload (a dataset) or stream (a model server's) stops early
// instead of filling memory or keeping a worker.
type cappedReader struct {
	r    io.Reader
	left int64
	err  error
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// clip shortens s to at most n runes for quoting in a message.
func clip(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}

// formulaStarts are the first characters with which a spreadsheet reads a
// cell as a formula (=, +, -, @, and the tab and carriage return that some
// read past).
const formulaStarts = "=+-@\t\r"

// SpreadsheetCell is s made safe to open in a spreadsheet: a cell that
// would start a formula gets the text marker ' in front (OWASP's advice on
// CSV injection), which the spreadsheet hides and TextCell drops again.
func SpreadsheetCell(s string) string {
	if s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// TextCell is a text cell as a spreadsheet shows it: a ' before a
// formula's first character is the text marker, not text. A dataset
// exported by Madang (SpreadsheetCell) so trains on the texts as written.
func TextCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte(formulaStarts, s[1]) >= 0 {
		return s[1:]
	}
	return s
}
