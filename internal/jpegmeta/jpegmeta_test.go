package jpegmeta

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/disintegration/imaging"
)

// plainJPEG is a 40×20 picture as Go's encoder writes it: no metadata at
// all (SOI, DQT, SOF0, DHT, SOS, EOI).
func plainJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := range 20 {
		for x := range 40 {
			img.Set(x, y, color.RGBA{uint8(6 * x), uint8(12 * y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func segment(marker byte, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	n := len(body) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, body...)
}

// exifRecord is an EXIF record as a phone writes one, little-endian:
// IFD0 with Make, Orientation and a pointer to a GPS IFD holding
// latitude 37°33'12.34" N.
func exifRecord(orientation uint16) []byte {
	le := binary.LittleEndian
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	entry := func(tag, typ uint16, count, value uint32) []byte {
		e := make([]byte, 12)
		le.PutUint16(e, tag)
		le.PutUint16(e[2:], typ)
		le.PutUint32(e[4:], count)
		le.PutUint32(e[8:], value)
		return e
	}
	// IFD0 at 8: 3 entries (2 + 36 + 4 = 42 bytes), Make's text at 50, GPS IFD at 64
	tiff = append(tiff, 3, 0)
	tiff = append(tiff, entry(0x010F, 2, 10, 50)...)                 // Make, ASCII, at 50
	tiff = append(tiff, entry(0x0112, 3, 1, uint32(orientation))...) // Orientation
	tiff = append(tiff, entry(0x8825, 4, 1, 64)...)                  // GPSInfo IFD at 64
	tiff = append(tiff, 0, 0, 0, 0)                                  // no next IFD
	tiff = append(tiff, "SecretCam\x00"...)                          // 50..59
	tiff = append(tiff, 0, 0, 0, 0)                                  // to 64
	tiff = append(tiff, 2, 0)                                        // GPS IFD: 2 entries
	tiff = append(tiff, entry(0x0001, 2, 2, uint32('N'))...)         // GPSLatitudeRef "N"
	tiff = append(tiff, entry(0x0002, 5, 3, 94)...)                  // GPSLatitude, 3 rationals at 94
	tiff = append(tiff, 0, 0, 0, 0)
	for _, r := range [][2]uint32{{37, 1}, {33, 1}, {1234, 100}} {
		tiff = le.AppendUint32(tiff, r[0])
		tiff = le.AppendUint32(tiff, r[1])
	}
	return append([]byte("Exif\x00\x00"), tiff...)
}

// phonePhoto is plainJPEG with what a phone and an editor add: JFIF with a
// thumbnail, EXIF with GPS, XMP, an ICC profile, MPF, Photoshop's IPTC, a
// comment, padding between segments, and after the image's end a second
// image with EXIF of its own and a vendor's trailer.
func phonePhoto(t testing.TB, orientation uint16) (photo, icc []byte) {
	t.Helper()
	plain := plainJPEG(t)
	icc = segment(0xE2, []byte("ICC_PROFILE\x00\x01\x01"), bytes.Repeat([]byte("colour"), 20))
	jfif := segment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x01\x01"), []byte{0xAA, 0xBB, 0xCC}) // a 1×1 thumbnail
	photo = append([]byte{0xFF, 0xD8}, jfif...)
	photo = append(photo, segment(0xE1, exifRecord(orientation))...)
	photo = append(photo, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>Seoul, Mapo-gu</x:xmpmeta>"))...)
	photo = append(photo, icc...)
	photo = append(photo, segment(0xE2, []byte("MPF\x00"), bytes.Repeat([]byte{1}, 16))...)
	photo = append(photo, segment(0xED, []byte("Photoshop 3.0\x008BIM owner=Kim"))...)
	photo = append(photo, segment(0xFE, []byte("made at home"))...)
	photo = append(photo, 0x00, 0x00) // padding some cameras write
	photo = append(photo, plain[2:]...)
	second := append([]byte{0xFF, 0xD8}, segment(0xE1, exifRecord(1))...)
	photo = append(photo, append(second, plain[2:]...)...)
	photo = append(photo, "SEFHlocation=37.55,126.92"...)
	return photo, icc
}

func decode(t testing.TB, b []byte) *image.YCbCr {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img.(*image.YCbCr)
}

// TestStripTakesOutWhatIsNotThePicture: a phone's photo loses its GPS,
// camera, XMP, IPTC, comment, thumbnail and appended images; keeps its
// colour profile and orientation; and its picture is the same pixels.
func TestStripTakesOutWhatIsNotThePicture(t *testing.T) {
	photo, icc := phonePhoto(t, 6) // 6: turn 90° clockwise to show
	out, stripped, err := Strip(photo)
	if err != nil || !stripped {
		t.Fatalf("Strip: stripped %v, %v", stripped, err)
	}
	for _, gone := range []string{"SecretCam", "xmpmeta", "Mapo-gu", "MPF\x00", "Photoshop", "owner=Kim", "made at home", "SEFH", "37.55",
		string([]byte{0xAA, 0xBB, 0xCC}), string(exifRecord(6)[:20])} {
		if bytes.Contains(out, []byte(gone)) {
			t.Errorf("%q is still in the photo", gone)
		}
	}
	if n := bytes.Count(out, []byte{0xFF, 0xD8}); n != 1 {
		t.Errorf("%d start-of-image markers, want 1 (the appended image gone)", n)
	}
	if !bytes.Contains(out, icc) {
		t.Errorf("the colour profile is gone")
	}
	if bytes.Count(out, []byte("Exif\x00\x00")) != 1 || exifOrientation(out[bytes.Index(out, []byte("Exif\x00\x00"))+6:]) != 6 {
		t.Errorf("want one EXIF record, of orientation 6")
	}
	plain := plainJPEG(t)
	if got, want := decode(t, out), decode(t, plain); !bytes.Equal(got.Y, want.Y) || !bytes.Equal(got.Cb, want.Cb) || !bytes.Equal(got.Cr, want.Cr) {
		t.Errorf("the picture changed")
	}
	// another reader (PocketBase's thumbnails use it) turns it upright
	shown, err := imaging.Decode(bytes.NewReader(out), imaging.AutoOrientation(true))
	if err != nil {
		t.Fatal(err)
	}
	if b := shown.Bounds(); b.Dx() != 20 || b.Dy() != 40 {
		t.Errorf("shown %v, want 20×40 (turned by the kept orientation)", b)
	}
	again, strippedAgain, err := Strip(out)
	if err != nil || strippedAgain || !bytes.Equal(again, out) {
		t.Errorf("a second Strip: stripped %v, same %v, %v", strippedAgain, bytes.Equal(again, out), err)
	}
}

// TestStripKeepsWhatHasNoMetadata: a photo without metadata comes back
// byte for byte, and an upright one gets no EXIF record; a big-endian
// EXIF's orientation is read too.
func TestStripKeepsWhatHasNoMetadata(t *testing.T) {
	plain := plainJPEG(t)
	out, stripped, err := Strip(plain)
	if err != nil || stripped || !bytes.Equal(out, plain) {
		t.Fatalf("plain: stripped %v, same %v, %v", stripped, bytes.Equal(out, plain), err)
	}
	upright, _ := phonePhoto(t, 1)
	out, _, err = Strip(upright)
	if err != nil || bytes.Contains(out, []byte("Exif")) {
		t.Errorf("an upright photo: EXIF kept %v, %v", bytes.Contains(out, []byte("Exif")), err)
	}
	be := append([]byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01"), 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0, 0, 0, 0)
	if o := exifOrientation(be); o != 8 {
		t.Errorf("big-endian orientation %d, want 8", o)
	}
	for _, broken := range [][]byte{nil, []byte("MM"), []byte("XX\x00\x2a\x00\x00\x00\x08"), []byte("II\x2a\x00\xff\xff\xff\x7f")} {
		if o := exifOrientation(broken); o != 0 {
			t.Errorf("orientation %d of %q, want 0", o, broken)
		}
	}
}

// TestStripRefusesBrokenHeaders: data that is no JPEG, or ends or lies
// before its first scan, is an error; a photo cut short inside its scan
// keeps what it has.
func TestStripRefusesBrokenHeaders(t *testing.T) {
	plain := plainJPEG(t)
	sos := bytes.Index(plain, []byte{0xFF, 0xDA})
	for name, data := range map[string][]byte{
		"empty":                   nil,
		"a PNG":                   []byte("\x89PNG\r\n\x1a\n"),
		"cut inside a segment":    plain[:sos-3],
		"cut before the scan":     plain[:sos],
		"a segment claiming more": append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, "Exif"...),
	} {
		if _, _, err := Strip(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	cut := plain[:len(plain)-40]
	out, _, err := Strip(cut)
	if err != nil || !bytes.Equal(out, cut) {
		t.Errorf("a photo cut inside its scan: same %v, %v", bytes.Equal(out, cut), err)
	}
}

// FuzzStrip: Strip never panics, and what it returns starts a JPEG and is
// left as it is by a second Strip.
func FuzzStrip(f *testing.F) {
	photo, _ := phonePhoto(f, 6)
	f.Add(photo)
	f.Add(plainJPEG(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _, err := Strip(data)
		if err != nil {
			return
		}
		if len(out) < 2 || out[0] != 0xFF || out[1] != 0xD8 {
			t.Fatalf("output does not start a JPEG")
		}
		again, stripped, err := Strip(out)
		if err != nil || stripped || !bytes.Equal(again, out) {
			t.Fatalf("a second Strip: stripped %v, same %v, %v", stripped, bytes.Equal(again, out), err)
		}
	})
}

// BenchmarkStrip: a 12-megapixel photo (4000×3000, about 5 MB at quality
// 90) with a phone's metadata, as an upload is stripped.
func BenchmarkStrip(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i*7 + i/4000)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(i*3), uint8(i*5)
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	photo := append([]byte{0xFF, 0xD8}, segment(0xE1, exifRecord(6))...)
	photo = append(photo, plain.Bytes()[2:]...)
	b.SetBytes(int64(len(photo)))
	b.ReportAllocs()
	for b.Loop() {
		if _, stripped, err := Strip(photo); err != nil || !stripped {
			b.Fatal(stripped, err)
		}
	}
}

// withSegments is plainJPEG with segs inserted after its SOI.
func withSegments(t testing.TB, segs ...[]byte) []byte {
	plain := plainJPEG(t)
	out := append([]byte{0xFF, 0xD8}, bytes.Join(segs, nil)...)
	return append(out, plain[2:]...)
}

// TestStripKeepsOnlyWhatDraws: what a helper's probe hid in a file that
// browsers still draw (2026-12-07) is taken out: an APP14 that is not
// Adobe's or carries more than its 12 bytes, DNL, reserved and extension
// markers, a second SOI, restart markers outside a scan; a JFIF segment
// after the colour profile is kept, first; a stray 0xFF 0x00 between
// segments is skipped as decoders skip it; a file cut inside a table
// after its first scan keeps what it has; one with no scan is refused.
func TestStripKeepsOnlyWhatDraws(t *testing.T) {
	plain := plainJPEG(t)
	secret := []byte("GPS37N-SECRET-OWNER")
	adobe := []byte("Adobe\x00\x64\x00\x00\x00\x00\x01")
	jfif := segment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00"))
	icc := segment(0xE2, []byte("ICC_PROFILE\x00\x01\x01profile"))
	for name, c := range map[string]struct {
		in   []byte
		want []byte // nil: plain
		kept bool   // nothing taken out (the original is stored)
	}{
		"APP14 with text after Adobe's bytes": {withSegments(t, segment(0xEE, adobe, secret)), withSegments(t, segment(0xEE, adobe)), false},
		"APP14 that is not Adobe's":           {withSegments(t, segment(0xEE, exifRecord(6), secret)), nil, false},
		"DNL":                                 {withSegments(t, segment(0xDC, []byte{0, 20}, secret)), nil, false},
		"reserved and extension markers":      {withSegments(t, segment(0x02, secret), segment(0xF0, secret), segment(0xDE, secret), segment(0xDF, secret)), nil, false},
		"a second SOI and restart markers":    {withSegments(t, []byte{0xFF, 0xD8, 0xFF, 0xD0, 0xFF, 0xD7, 0xFF, 0x01}), nil, false},
		"a stray 0xFF 0x00 between segments":  {withSegments(t, []byte("ab\xFF\x00cd")), nil, false},
		"JFIF after the colour profile":       {withSegments(t, icc, jfif), withSegments(t, jfif, icc), true},
	} {
		out, stripped, err := Strip(c.in)
		want := c.want
		if want == nil {
			want = plain
		}
		if err != nil || stripped == c.kept || !bytes.Equal(out, want) {
			t.Errorf("%s: stripped %v, %v; got % x…, want % x…", name, stripped, err, out[:min(len(out), 40)], want[:min(len(want), 40)])
		}
	}

	// cut inside the tables between a progressive photo's scans: the
	// scans before the cut are kept, and the image ended
	var prog bytes.Buffer
	progressive := append(bytes.Clone(plain[:bytes.Index(plain, []byte{0xFF, 0xD9})]), segment(0xC4, bytes.Repeat([]byte{1}, 30))...)
	prog.Write(progressive[:len(progressive)-8])
	out, _, err := Strip(prog.Bytes())
	if err != nil || !bytes.Equal(out, plain) {
		t.Errorf("cut in a table after the first scan: %v", err)
	}
	if _, _, err := Strip(append(plain[:bytes.Index(plain, []byte{0xFF, 0xDA})], 0xFF, 0xD9)); err == nil {
		t.Errorf("an image with no scan was taken")
	}
}

// TestStripReadsTheOrientationBrowsersFollow: the orientation is the first
// EXIF record's, before the first scan, one SHORT; a later record's does
// not count (a browser and PocketBase's thumbnails do not read it).
func TestStripReadsTheOrientationBrowsersFollow(t *testing.T) {
	noOrientation := append([]byte("Exif\x00\x00"), []byte("II\x2a\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")...)
	twoShorts := bytes.Clone(exifRecord(6))
	binary.LittleEndian.PutUint32(twoShorts[6+10+12+4:], 2) // Orientation's count
	for name, in := range map[string][]byte{
		"a first record without one":  withSegments(t, segment(0xE1, noOrientation), segment(0xE1, exifRecord(6))),
		"a first record of count two": withSegments(t, segment(0xE1, twoShorts)),
	} {
		out, _, err := Strip(in)
		if err != nil || bytes.Contains(out, []byte("Exif")) {
			t.Errorf("%s: an orientation was written (%v)", name, err)
		}
	}
	plain := plainJPEG(t)
	sos := bytes.Index(plain, []byte{0xFF, 0xDA})
	scan := bytes.Index(plain, []byte{0xFF, 0xD9})
	afterScan := append(bytes.Clone(plain[:scan]), segment(0xE1, exifRecord(6))...)
	afterScan = append(afterScan, plain[scan:]...)
	if out, _, err := Strip(afterScan); err != nil || bytes.Contains(out, []byte("Exif")) || sos < 0 {
		t.Errorf("a record after the first scan turned the photo (%v)", err)
	}
}

// TestStripBoundsItsWork: restart markers outside the scans are dropped
// at the cost of reading them; past MaxMarkers the file is refused.
func TestStripBoundsItsWork(t *testing.T) {
	flood := withSegments(t, bytes.Repeat([]byte{0xFF, 0xD0}, MaxMarkers-100))
	out, stripped, err := Strip(flood)
	if err != nil || !stripped || !bytes.Equal(out, plainJPEG(t)) {
		t.Errorf("%d restart markers: stripped %v, %v", MaxMarkers-100, stripped, err)
	}
	if _, _, err := Strip(withSegments(t, bytes.Repeat([]byte{0xFF, 0xD0}, MaxMarkers+1))); err == nil {
		t.Errorf("%d restart markers were taken", MaxMarkers+1)
	}
	tables := withSegments(t, bytes.Repeat([]byte{0xFF, 0xDB, 0x00, 0x02}, MaxMarkers/2))
	if allocs := testing.AllocsPerRun(3, func() { Strip(tables) }); allocs > 30 {
		t.Errorf("%d empty tables next to each other: %.0f allocations, want them kept as one part", MaxMarkers/2, allocs)
	}
}
