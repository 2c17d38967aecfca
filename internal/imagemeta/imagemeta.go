// Package imagemeta takes out of a PNG or WebP image what it says besides
// its picture: the EXIF record a phone or an editor writes (the GPS
// position, the camera, the time), XMP, and PNG's text chunks (author,
// software, comments) and modification time. What draws the picture is
// kept: its pixels' chunks, the palette and transparency, the colour
// profile (ICC, sRGB, gamma, chromaticities, HDR's cICP), the density,
// and an animation's frames (APNG, animated WebP).
//
// It works on the chunks, as jpegmeta works on a JPEG's segments: a kept
// chunk's bytes are copied as they are (a PNG chunk's CRC with them),
// nothing is decoded or re-encoded, so no quality is lost, an animation
// stays animated and a colour profile stays, where re-encoding (Go's
// image/png; Go has no WebP encoder) would keep only the first frame's
// pixels. JPEG is jpegmeta's.
package imagemeta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// pngSignature starts every PNG file (PNG specification, 3rd edition, 5.2).
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// pngKept are the PNG chunks that draw the picture, an APNG's animation
// included; every other chunk goes (eXIf, tEXt, zTXt, iTXt, tIME and
// private ones).
var pngKept = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true, "tRNS": true,
	"cHRM": true, "gAMA": true, "iCCP": true, "sBIT": true, "sRGB": true,
	"cICP": true, "mDCv": true, "cLLi": true, "bKGD": true, "hIST": true,
	"pHYs": true, "sPLT": true, "acTL": true, "fcTL": true, "fdAT": true,
}

// ErrNotPNG is StripPNG's error for data that does not start as a PNG.
var ErrNotPNG = errors.New("not a PNG: no PNG signature")

// StripPNG returns data without its metadata chunks and anything after its
// IEND, and whether anything was taken out; data itself is not changed,
// and is what is returned when nothing is. The file must be whole: its
// signature, IHDR first, every chunk as long as its length says, and IEND.
func StripPNG(data []byte) (out []byte, stripped bool, err error) {
	if !bytes.HasPrefix(data, pngSignature) {
		return nil, false, ErrNotPNG
	}
	i := len(pngSignature)
	for {
		if i+8 > len(data) {
			return nil, false, fmt.Errorf("the file ends at byte %d, before its IEND chunk", len(data))
		}
		n := uint64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if !isChunkType(typ) {
			return nil, false, fmt.Errorf("the chunk at byte %d has no type (%q)", i, typ)
		}
		if i == len(pngSignature) && typ != "IHDR" {
			return nil, false, fmt.Errorf("its first chunk is %s, not IHDR", typ)
		}
		end := uint64(i) + 12 + n // length, type, data, CRC
		if end > uint64(len(data)) {
			return nil, false, fmt.Errorf("the chunk %s at byte %d is cut short", typ, i)
		}
		switch {
		case !pngKept[typ]:
			if out == nil {
				out = append(make([]byte, 0, len(data)), data[:i]...)
			}
		case out != nil:
			out = append(out, data[i:end]...)
		}
		i = int(end)
		if typ == "IEND" {
			break
		}
	}
	switch {
	case out != nil:
		return out, true, nil
	case i < len(data): // trailing bytes
		return slices.Clone(data[:i]), true, nil
	}
	return data, false, nil
}

// isChunkType tells whether typ is a chunk type: four ASCII letters.
func isChunkType(typ string) bool {
	for _, c := range []byte(typ) {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// webpKept are the chunks of an extended WebP that draw the picture, an
// animation's included; EXIF, XMP and unknown chunks go.
var webpKept = map[string]bool{
	"VP8X": true, "ICCP": true, "ANIM": true, "ANMF": true,
	"ALPH": true, "VP8 ": true, "VP8L": true,
}

// The VP8X flags that announce metadata chunks (WebP container
// specification, "Extended File Format": bits numbered from the most
// significant, Rsv Rsv I L E X A R).
const (
	flagEXIF = 0x08
	flagXMP  = 0x04
)

// ErrNotWebP is StripWebP's error for data that does not start as a WebP.
var ErrNotWebP = errors.New("not a WebP: no RIFF WEBP header")

// StripWebP returns data without its EXIF and XMP chunks (their VP8X flags
// cleared), the chunks no reader knows, and anything after the RIFF
// container, and whether anything was taken out; data itself is not
// changed, and is what is returned when nothing is. A simple file (a
// single VP8 or VP8L chunk) has no place for metadata and is returned as
// it is. Every chunk of an extended file must be as long as its size
// says, padded to an even size.
func StripWebP(data []byte) (out []byte, stripped bool, err error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, false, ErrNotWebP
	}
	size := uint64(binary.LittleEndian.Uint32(data[4:]))
	if size+8 > uint64(len(data)) {
		return nil, false, fmt.Errorf("the file is %d bytes, its RIFF header says %d", len(data), size+8)
	}
	riff := data[:size+8]
	if len(riff) < 20 {
		return nil, false, errors.New("the file has no chunk")
	}
	switch first := string(riff[12:16]); first {
	case "VP8 ", "VP8L":
		return data, false, nil
	case "VP8X":
	default:
		return nil, false, fmt.Errorf("its first chunk is %q, not VP8 , VP8L or VP8X", first)
	}
	out = append(make([]byte, 0, len(riff)), riff[:12]...)
	stripped = len(riff) < len(data) // trailing bytes
	for i := 12; i < len(riff); {
		if i+8 > len(riff) {
			return nil, false, fmt.Errorf("the chunk at byte %d is cut short", i)
		}
		fourCC := string(riff[i : i+4])
		n := uint64(binary.LittleEndian.Uint32(riff[i+4:]))
		end := uint64(i) + 8 + n + n%2 // header, data, padding
		if end > uint64(len(riff)) {
			return nil, false, fmt.Errorf("the chunk %q at byte %d is cut short", fourCC, i)
		}
		switch {
		case !webpKept[fourCC]:
			stripped = true
		case fourCC == "VP8X":
			if i != 12 || n != 10 {
				return nil, false, fmt.Errorf("the VP8X chunk at byte %d is not the first of 10 bytes", i)
			}
			out = append(out, riff[i:end]...)
			if flags := &out[i+8]; *flags&(flagEXIF|flagXMP) != 0 {
				*flags &^= flagEXIF | flagXMP
				stripped = true
			}
		default:
			out = append(out, riff[i:end]...)
		}
		i = int(end)
	}
	if !stripped {
		return data, false, nil
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, true, nil
}
