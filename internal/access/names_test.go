package access

import "testing"

// TestInvisibleInName: an invisible character in a name is refused unless
// it belongs to an emoji sequence; whitespace is not invisible.
func TestInvisibleInName(t *testing.T) {
	for name, want := range map[string]rune{
		"잡\u200b담":    '\u200b', // zero-width space
		"admin\u202e": '\u202e', // right-to-left override
		"\u200ealice": '\u200e', // left-to-right mark
		"김\u3164철수":   '\u3164', // Hangul filler
		"a\ufe0f":     '\ufe0f', // a variation selector after a letter
		"a\u200db":    '\u200d', // a joiner between letters
		"❤\u200da":    '\u200d', // a joiner after a symbol, before a letter
		"❤\u200d":     '\u200d', // a joiner at the end
		"x\U000e0067": 0xe0067,  // a tag outside a flag
		"\u00adsoft":  '\u00ad', // soft hyphen
		"\u2060join":  '\u2060', // word joiner
	} {
		if got, found := InvisibleInName(name); !found || got != want {
			t.Errorf("%q: %U %v, want %U", name, got, found, want)
		}
	}
	for _, name := range []string{
		"민수", "Jane Doe", "민수❤\ufe0f", "👩\u200d💻dev", "👩🏽\u200d💻", "1\ufe0f\u20e3번", "#\ufe0f\u20e3",
		"\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "☺\ufe0e", "",
	} {
		if r, found := InvisibleInName(name); found {
			t.Errorf("%q: refused for %U", name, r)
		}
	}
}

// TestStackedMarks: a letter may carry up to MaxMarksPerLetter combining
// marks in a row; the one under more is named.
func TestStackedMarks(t *testing.T) {
	for name, want := range map[string]rune{
		"Z\u0336\u0336\u0336\u0336ed": 'Z',
		"ab\u0301\u0302\u0303\u0304":  'b',
		"\u0301\u0302\u0303\u0304x":   0, // marks with no letter before them
	} {
		if got, found := StackedMarks(name); !found || got != want {
			t.Errorf("%+q: %q %v, want %q", name, got, found, want)
		}
	}
	for _, name := range []string{"민수", "Zoë", "नमस्ते", "กี่", "a\u0301\u0302\u0303", "1\ufe0f\u20e3번", "e\u0301e\u0301e\u0301e\u0301"} {
		if base, found := StackedMarks(name); found {
			t.Errorf("%+q: refused at %q", name, base)
		}
	}
}
