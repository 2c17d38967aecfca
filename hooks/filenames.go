package hooks

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/tools/filesystem"
	"golang.org/x/text/unicode/norm"

	"madang/internal/access"
)

// maxStemBytes bounds the part of a stored file name taken from the
// writer's name, as PocketBase bounds its own (100 bytes): with the random
// suffix, the extension and a thumbnail's "100x100_" prefix the name stays
// far below a file system's 255 bytes (33 Hangul letters).
const maxStemBytes = 100

// storedFileName is the name a new file is stored, listed and downloaded
// under: the writer's name with letters, marks and digits of any script
// kept, then PocketBase's random suffix and cleaned extension.
//
// PocketBase keeps only ASCII letters and digits of a name, so until
// 2026-12-04 견적서.pdf was stored and downloaded as ck6df39m1o_x1y2z3w4v5.pdf
// and a Korean board's readers could not tell attachments apart. The name
// is read in NFC (a Mac sends 견적서 decomposed); every other character —
// spaces, dots, slashes and backslashes, controls, bidi overrides, zero-width
// and other invisible characters — becomes "_", so a name can neither
// leave its folder nor show something other than what it holds.
func storedFileName(f *filesystem.File) string {
	suffix, ext, ok := pocketBaseSuffix(f.Name)
	if !ok {
		return f.Name
	}
	stem := keptCharacters(stripExtension(norm.NFC.String(f.OriginalName), strings.Count(ext, ".")))
	if stem == "" {
		return f.Name // nothing of the name shows: PocketBase's random name
	}
	return stem + "_" + suffix + ext
}

// pocketBaseSuffix splits a name PocketBase made (snake_name_<10 random
// letters or digits><.cleaned.ext>) into its random part and extension.
// The snake name holds no dot, so the extension starts at the first one.
func pocketBaseSuffix(name string) (suffix, ext string, ok bool) {
	base := name
	if dot := strings.IndexByte(name, '.'); dot >= 0 {
		base, ext = name[:dot], name[dot:]
	}
	if len(base) < 11 || base[len(base)-11] != '_' {
		return "", "", false
	}
	suffix = base[len(base)-10:]
	for _, c := range suffix {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return "", "", false
		}
	}
	return suffix, ext, true
}

// stripExtension drops the last dots dot-separated parts of name, the ones
// PocketBase took as its extension (report.tar.gz: 2), and any folder.
func stripExtension(name string, dots int) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	for range dots {
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[:i]
	}
	return name
}

// keptCharacters replaces every character but letters, marks and digits of
// any script, "_" and "-" with "_", joins runs of "_", trims "_" at the
// ends and cuts the result to maxStemBytes at a character's boundary.
func keptCharacters(name string) string {
	var b strings.Builder
	for _, r := range name {
		keep := r == '-' || (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)) && !access.Invisible(r)
		if !keep {
			r = '_'
		}
		if r == '_' && strings.HasSuffix(b.String(), "_") {
			continue
		}
		b.WriteRune(r)
	}
	stem := strings.Trim(b.String(), "_")
	if len(stem) > maxStemBytes {
		cut := maxStemBytes
		for !utf8.RuneStart(stem[cut]) {
			cut--
		}
		stem = strings.TrimRight(stem[:cut], "_")
	}
	return stem
}
