package imagemeta

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"slices"
	"testing"

	"golang.org/x/image/webp"
)

// plainPNG is a 40×20 picture as Go's encoder writes it: IHDR, IDAT, IEND.
func plainPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 40, 20))
	for y := range 20 {
		for x := range 40 {
			img.Set(x, y, color.NRGBA{uint8(6 * x), uint8(12 * y), 128, uint8(255 - 3*x)})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngChunk is a PNG chunk with its length and CRC.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// withPNGChunks is png with chunks after its IHDR, where a phone or an
// editor writes its own.
func withPNGChunks(png []byte, chunks ...[]byte) []byte {
	afterIHDR := len(pngSignature) + 12 + 13
	out := slices.Clone(png[:afterIHDR])
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, png[afterIHDR:]...)
}

// pngChunkTypes lists a PNG's chunk types in order.
func pngChunkTypes(t testing.TB, b []byte) []string {
	t.Helper()
	var types []string
	for i := len(pngSignature); i+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		types = append(types, string(b[i+4:i+8]))
		i += 12 + n
	}
	return types
}

func decodePNG(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil || format != "png" {
		t.Fatalf("decoding: %q %v", format, err)
	}
	return img
}

// TestStripPNGTakesOutMetadata: a PNG with what a phone and an editor add
// (EXIF with a GPS position, text chunks, a modification time, a private
// chunk, bytes after IEND) keeps its colour profile, its density and its
// pixels, and nothing else of it.
func TestStripPNGTakesOutMetadata(t *testing.T) {
	plain := plainPNG(t)
	icc := pngChunk("iCCP", []byte("Display P3\x00\x00\x78\x9c\x03\x00\x00\x00\x00\x01"))
	phys := pngChunk("pHYs", []byte{0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1})
	exif := pngChunk("eXIf", []byte("MM\x00\x2a\x00\x00\x00\x08GPS 37.5665N 126.9780E"))
	text := pngChunk("tEXt", []byte("Author\x00Kim Minji"))
	itxt := pngChunk("iTXt", []byte("Comment\x00\x00\x00ko\x00\x00taken at home"))
	ztxt := pngChunk("zTXt", []byte("Software\x00\x00\x78\x9c\x03\x00\x00\x00\x00\x01"))
	when := pngChunk("tIME", []byte{0x07, 0xea, 12, 8, 9, 30, 0})
	private := pngChunk("prVt", []byte("HomeCam serial 0042"))
	photo := withPNGChunks(plain, icc, exif, phys, text, itxt, ztxt, when, private)
	photo = append(photo, "trailer"...)
	sent := slices.Clone(photo)

	out, stripped, err := StripPNG(photo)
	if err != nil || !stripped {
		t.Fatalf("StripPNG: stripped %v, %v", stripped, err)
	}
	if !bytes.Equal(photo, sent) {
		t.Error("StripPNG changed its input")
	}
	if got, want := pngChunkTypes(t, out), []string{"IHDR", "iCCP", "pHYs", "IDAT", "IEND"}; !slices.Equal(got, want) {
		t.Errorf("chunks %v, want %v", got, want)
	}
	for _, gone := range []string{"GPS 37.5665N", "Kim Minji", "taken at home", "HomeCam", "trailer"} {
		if bytes.Contains(out, []byte(gone)) {
			t.Errorf("%q is still in the output", gone)
		}
	}
	if !bytes.Equal(out, withPNGChunks(plain, icc, phys)) {
		t.Error("the kept chunks are not copied as they were")
	}
	want, got := decodePNG(t, plain).(*image.NRGBA), decodePNG(t, out).(*image.NRGBA)
	if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
		t.Error("the pixels changed")
	}
}

// TestStripPNGKeepsWhatHasNoMetadata: a PNG without metadata, with a
// colour profile and an APNG's animation chunks or without, is returned
// as it is, stripped false.
func TestStripPNGKeepsWhatHasNoMetadata(t *testing.T) {
	plain := plainPNG(t)
	for name, b := range map[string][]byte{
		"Go's encoder": plain,
		"a colour profile and a density": withPNGChunks(plain, pngChunk("sRGB", []byte{0}), pngChunk("gAMA", []byte{0, 0, 0xb1, 0x8f}),
			pngChunk("pHYs", []byte{0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1})),
		"an APNG's control": withPNGChunks(plain, pngChunk("acTL", []byte{0, 0, 0, 1, 0, 0, 0, 0}),
			pngChunk("fcTL", make([]byte, 26))),
	} {
		out, stripped, err := StripPNG(b)
		if err != nil || stripped || !bytes.Equal(out, b) {
			t.Errorf("%s: stripped %v, %v, the same bytes %v", name, stripped, err, bytes.Equal(out, b))
		}
	}
}

// TestStripPNGRefusesBrokenFiles: a file that is no PNG, or is cut short
// anywhere before its IEND's end, or whose chunks cannot be read, is an
// error.
func TestStripPNGRefusesBrokenFiles(t *testing.T) {
	photo := withPNGChunks(plainPNG(t), pngChunk("eXIf", []byte("MM\x00\x2a\x00\x00\x00\x08")))
	for n := range len(photo) {
		if _, _, err := StripPNG(photo[:n]); err == nil {
			t.Fatalf("cut to %d of %d bytes: no error", n, len(photo))
		}
	}
	ihdr := len(pngSignature)
	for name, b := range map[string][]byte{
		"a JPEG":             []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"),
		"no IHDR first":      append(slices.Clone(pngSignature), pngChunk("IEND", nil)...),
		"a chunk too long":   append(slices.Clone(photo[:ihdr]), append([]byte{0xFF, 0xFF, 0xFF, 0xF0}, photo[ihdr+4:]...)...),
		"a chunk of no type": withPNGChunks(photo, pngChunk("t\x00Xt", nil)),
	} {
		if _, _, err := StripPNG(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// losslessWebP is a simple lossless WebP (RIFF, one VP8L chunk), 1-bit
// gopher, from golang.org/x/image's test data (BSD licence).
func losslessWebP(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/gopher-doc.1bpp.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func webpChunk(fourCC string, data []byte) []byte {
	c := append([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// extendedWebP is simple's picture in an extended file: VP8X with flags,
// then chunks, in order.
func extendedWebP(t testing.TB, simple []byte, flags byte, chunks ...[]byte) []byte {
	t.Helper()
	config, err := webp.DecodeConfig(bytes.NewReader(simple))
	if err != nil {
		t.Fatal(err)
	}
	vp8x := []byte{flags, 0, 0, 0}
	vp8x = binary.LittleEndian.AppendUint32(vp8x, uint32(config.Width-1))[:7]
	vp8x = binary.LittleEndian.AppendUint32(vp8x, uint32(config.Height-1))[:10]
	body := append([]byte("WEBP"), webpChunk("VP8X", vp8x)...)
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

// webpChunkTypes lists an extended WebP's chunks in order.
func webpChunkTypes(t testing.TB, b []byte) []string {
	t.Helper()
	var types []string
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		types = append(types, string(b[i:i+4]))
		i += 8 + n + n%2
	}
	return types
}

// TestStripWebPTakesOutMetadata: an extended WebP with EXIF (a GPS
// position), XMP and a chunk no reader knows, of odd sizes, keeps its
// colour profile and its picture; its VP8X no longer announces EXIF nor
// XMP, and its RIFF size is its new size.
func TestStripWebPTakesOutMetadata(t *testing.T) {
	simple := losslessWebP(t)
	vp8l := simple[12:]
	icc := webpChunk("ICCP", bytes.Repeat([]byte("colour"), 20))
	exif := webpChunk("EXIF", []byte("MM\x00\x2a\x00\x00\x00\x08GPS 37.5665N 126.9780E"))
	xmp := webpChunk("XMP ", []byte(`<x:xmpmeta><dc:creator>Kim Minji</dc:creator></x:xmpmeta>`))
	unknown := webpChunk("prVt", []byte("HomeCam"))
	const iccFlag = 0x20
	photo := extendedWebP(t, simple, iccFlag|flagEXIF|flagXMP, icc, vp8l, exif, xmp, unknown)
	photo = append(photo, "trailer"...)
	sent := slices.Clone(photo)

	out, stripped, err := StripWebP(photo)
	if err != nil || !stripped {
		t.Fatalf("StripWebP: stripped %v, %v", stripped, err)
	}
	if !bytes.Equal(photo, sent) {
		t.Error("StripWebP changed its input")
	}
	if got, want := webpChunkTypes(t, out), []string{"VP8X", "ICCP", "VP8L"}; !slices.Equal(got, want) {
		t.Errorf("chunks %v, want %v", got, want)
	}
	if !bytes.Equal(out, extendedWebP(t, simple, iccFlag, icc, vp8l)) {
		t.Errorf("output % x, want the VP8X flags 0x20, the kept chunks as they were", out[:32])
	}
	if size := binary.LittleEndian.Uint32(out[4:]); int(size) != len(out)-8 {
		t.Errorf("RIFF size %d, want %d", size, len(out)-8)
	}
	for _, gone := range []string{"GPS 37.5665N", "Kim Minji", "HomeCam", "trailer"} {
		if bytes.Contains(out, []byte(gone)) {
			t.Errorf("%q is still in the output", gone)
		}
	}
	want, err := webp.Decode(bytes.NewReader(simple))
	if err != nil {
		t.Fatal(err)
	}
	got, err := webp.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decoding the output: %v", err)
	}
	if got.Bounds() != want.Bounds() || !bytes.Equal(got.(*image.NRGBA).Pix, want.(*image.NRGBA).Pix) {
		t.Error("the pixels changed")
	}
}

// TestStripWebPKeepsWhatHasNoMetadata: a simple WebP, and an extended one
// without EXIF or XMP, are returned as they are, stripped false.
func TestStripWebPKeepsWhatHasNoMetadata(t *testing.T) {
	simple := losslessWebP(t)
	for name, b := range map[string][]byte{
		"simple":   simple,
		"extended": extendedWebP(t, simple, 0x20, webpChunk("ICCP", []byte("odd")), simple[12:]),
	} {
		out, stripped, err := StripWebP(b)
		if err != nil || stripped || !bytes.Equal(out, b) {
			t.Errorf("%s: stripped %v, %v, the same bytes %v", name, stripped, err, bytes.Equal(out, b))
		}
	}
}

// TestStripWebPRefusesBrokenFiles: a file that is no WebP, is shorter than
// its RIFF size, or has a chunk longer than the container, is an error.
func TestStripWebPRefusesBrokenFiles(t *testing.T) {
	simple := losslessWebP(t)
	photo := extendedWebP(t, simple, flagEXIF, simple[12:], webpChunk("EXIF", []byte("MM\x00\x2a")))
	for n := range len(photo) {
		if _, _, err := StripWebP(photo[:n]); err == nil {
			t.Fatalf("cut to %d of %d bytes: no error", n, len(photo))
		}
	}
	overrun := slices.Clone(photo)
	binary.LittleEndian.PutUint32(overrun[len(overrun)-8:], 100) // the EXIF chunk's size
	for name, b := range map[string][]byte{
		"a PNG":             pngSignature,
		"a chunk too long":  overrun,
		"no VP8X first":     append(binary.LittleEndian.AppendUint32([]byte("RIFF"), 12), "WEBPEXIF\x00\x00\x00\x00"...),
		"a VP8X of 4 bytes": append(binary.LittleEndian.AppendUint32([]byte("RIFF"), 16), "WEBPVP8X\x04\x00\x00\x00\x08\x00\x00\x00"...),
	} {
		if _, _, err := StripWebP(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzStrip holds StripPNG and StripWebP to never panic, never change
// their input, and leave their own output as it is.
func FuzzStrip(f *testing.F) {
	plain := plainPNG(f)
	f.Add(withPNGChunks(plain, pngChunk("eXIf", []byte("MM\x00\x2a")), pngChunk("tIME", make([]byte, 7))))
	simple := losslessWebP(f)
	f.Add(extendedWebP(f, simple, flagEXIF|flagXMP, simple[12:], webpChunk("EXIF", []byte("II*")), webpChunk("XMP ", []byte("<x/>"))))
	f.Fuzz(func(t *testing.T, data []byte) {
		sent := slices.Clone(data)
		for name, strip := range map[string]func([]byte) ([]byte, bool, error){"StripPNG": StripPNG, "StripWebP": StripWebP} {
			out, _, err := strip(data)
			if !bytes.Equal(data, sent) {
				t.Fatalf("%s changed its input", name)
			}
			if err != nil {
				continue
			}
			again, stripped, err := strip(out)
			if err != nil || stripped || !bytes.Equal(again, out) {
				t.Fatalf("%s of its own output: stripped %v, %v", name, stripped, err)
			}
		}
	})
}
