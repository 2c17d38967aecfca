// Package jpegmeta takes out of a JPEG photo what it says besides its
// picture: where it was taken (EXIF's GPS), by what camera and whose
// (serial numbers, owner, software), when, the XMP and IPTC records
// editors add, comments, and the further images a phone appends (MPF
// depth and gain maps, each with metadata of its own). The picture's
// bytes are copied as they are: nothing is decoded or re-encoded, so no
// quality is lost, and the colour profile (ICC), the Adobe colour
// transform and JFIF's density stay. Only the orientation is kept of
// EXIF, in an EXIF record of its own, since without it a phone's upright
// photo shows lying on its side.
//
// No library served to this project does it: the Go module proxy has
// readers of EXIF (dsoprea/go-exif, unmaintained since 2021) but no JPEG
// segment writer, and re-encoding (image/jpeg, or PocketBase's imaging)
// would cost quality, the colour profile and up to 200 MB a 50-megapixel
// photo. The format's segment structure (ITU T.81 annex B, EXIF 2.3
// section 4.5.4) is all this package reads.
package jpegmeta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// JPEG markers (ITU T.81 table B.1).
const (
	markerSOI  = 0xD8
	markerEOI  = 0xD9
	markerSOS  = 0xDA
	markerDQT  = 0xDB
	markerDRI  = 0xDD
	markerDHT  = 0xC4
	markerDAC  = 0xCC
	markerAPP0 = 0xE0
	markerAPP1 = 0xE1
	markerAPP2 = 0xE2
	markerAP14 = 0xEE // Adobe: the colour transform decoders need
)

var (
	jfifHeader  = []byte("JFIF\x00")
	exifHeader  = []byte("Exif\x00\x00")
	iccHeader   = []byte("ICC_PROFILE\x00")
	adobeHeader = []byte("Adobe")
)

// adobeLength is the length of Adobe's APP14 payload: "Adobe", version,
// two flag words and the colour transform.
const adobeLength = 12

// MaxMarkers bounds the markers of a photo outside its scans: a camera's
// or an editor's file has a few dozen (a progressive one's tables between
// its scans included). A 20 MB file of restart markers, each kept apart,
// took 1.1 GB and 8 s to strip (2026-12-07).
const MaxMarkers = 10_000

// ErrNotJPEG is Strip's error for data that does not start as a JPEG.
var ErrNotJPEG = errors.New("not a JPEG: no start-of-image marker")

// Strip returns data without its metadata and anything after the image's
// end, and whether anything was taken out; data itself is not changed.
// What a decoder needs to draw the picture is kept, nothing else: the
// frame (SOFn), its tables (DQT, DHT, DAC, DRI), its scans, the first
// JFIF segment (without a thumbnail), the colour profile (APP2
// ICC_PROFILE) and Adobe's colour transform (APP14, its 12 bytes). The
// orientation of the first EXIF record before the first scan — the one
// browsers follow — is written again in a record of its own. The image
// must be whole up to its first scan; a file cut short after it (a
// picture a browser still shows in part) keeps what it has.
func Strip(data []byte) (out []byte, stripped bool, err error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != markerSOI {
		return nil, false, ErrNotJPEG
	}
	var (
		jfif        []byte // the first JFIF segment, written first
		kept        []span // the parts of data kept after it, in order
		orientation uint16 // of the first EXIF record before the first scan
		exifSeen    bool   // the first EXIF record was read
		scanned     bool   // a start-of-scan was seen
		markers     int    // outside the scans
	)
	keep := func(from, to int) {
		if n := len(kept); n > 0 && kept[n-1].literal == nil && kept[n-1].to == from {
			kept[n-1].to = to // next to the last kept part: one part
			return
		}
		kept = append(kept, span{from: from, to: to})
	}
	i := 2
	for i < len(data) {
		// bytes before a marker are skipped, as libjpeg and Go's decoder
		// skip them (some cameras pad between segments), a stuffed
		// 0xFF 0x00 among them, as are fill bytes
		start := bytes.IndexByte(data[i:], 0xFF)
		if start < 0 {
			stripped = true // trailing bytes
			break
		}
		if start > 0 {
			stripped = true
		}
		i += start
		for i+1 < len(data) && data[i+1] == 0xFF {
			i++
		}
		if i+1 >= len(data) {
			stripped = true
			break
		}
		marker := data[i+1]
		if marker == 0x00 {
			stripped = true
			i += 2
			continue
		}
		if markers++; markers > MaxMarkers {
			return nil, false, fmt.Errorf("it has more than %d segments outside its scans", MaxMarkers)
		}
		switch {
		case marker == markerEOI:
			if !scanned {
				return nil, false, errors.New("the image ends before its first scan")
			}
			keep(i, i+2)
			if i+2 < len(data) {
				stripped = true // an appended image or a vendor's trailer
			}
			return assemble(jfif, data, kept, orientation), stripped, nil
		case marker >= 0xD0 && marker <= 0xD7: // RSTn, outside a scan: no length, nothing to draw
			stripped = true
			i += 2
			continue
		case marker == 0x01 || marker == markerSOI: // TEM, a second SOI: no length
			stripped = true
			i += 2
			continue
		}
		if i+4 > len(data) || i+2+int(binary.BigEndian.Uint16(data[i+2:])) > len(data) {
			if scanned {
				// cut short after a scan: what is drawn so far, ended as an
				// image ends (without the end, Chromium left the last rows of
				// the scans before blank: a probe, 2026-12-07)
				kept = append(kept, span{literal: []byte{0xFF, markerEOI}})
				stripped = true
				return assemble(jfif, data, kept, orientation), stripped, nil
			}
			return nil, false, fmt.Errorf("the segment 0xFF%02X at byte %d is cut short", marker, i)
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 {
			return nil, false, fmt.Errorf("the segment 0xFF%02X at byte %d has a length of %d", marker, i, n)
		}
		from, payload := i, data[i+4:i+2+n]
		i += 2 + n
		switch {
		case marker == markerAPP0 && jfif == nil && !scanned && bytes.HasPrefix(payload, jfifHeader) && len(payload) >= 14:
			jfif = jfifWithoutThumbnail(data[from:i], payload)
			stripped = stripped || len(payload) > 14
		case marker == markerAPP1 && !exifSeen && !scanned && bytes.HasPrefix(payload, exifHeader):
			exifSeen = true
			orientation = exifOrientation(payload[len(exifHeader):])
			if !bytes.Equal(data[from:i], orientationSegment(orientation)) {
				stripped = true
			}
		case marker == markerAPP2 && bytes.HasPrefix(payload, iccHeader):
			keep(from, i)
		case marker == markerAP14 && bytes.HasPrefix(payload, adobeHeader) && len(payload) >= adobeLength:
			if len(payload) == adobeLength {
				keep(from, i)
			} else { // Adobe's 12 bytes, without what follows them
				cut := append([]byte{0xFF, markerAP14, 0x00, 2 + adobeLength}, payload[:adobeLength]...)
				kept = append(kept, span{literal: cut})
				stripped = true
			}
		case marker == markerSOS:
			keep(from, i)
			scanned = true
			// the entropy-coded data runs to the next marker that is not a
			// stuffed 0xFF 0x00 nor a restart (RSTn)
			end := i
			for {
				k := bytes.IndexByte(data[end:], 0xFF)
				if k < 0 || end+k+1 >= len(data) {
					end = len(data)
					break
				}
				end += k
				if next := data[end+1]; next == 0x00 || next >= 0xD0 && next <= 0xD7 || next == 0xFF {
					end++
					continue
				}
				break
			}
			keep(i, end)
			i = end
		case isFrame(marker) || marker == markerDQT || marker == markerDHT || marker == markerDAC || marker == markerDRI:
			keep(from, i)
		default: // every other APPn, comments, DNL, reserved and extension markers
			stripped = true
		}
	}
	if !scanned {
		return nil, false, errors.New("the image ends before its first scan")
	}
	return assemble(jfif, data, kept, orientation), stripped, nil
}

// span is a part of the input kept as it is, data[from:to], or a segment
// written in its place (literal: an Adobe segment cut to its 12 bytes).
type span struct {
	from, to int
	literal  []byte
}

// isFrame tells whether marker starts a frame (SOF0–SOF15, but DHT, JPG
// and DAC, which share the range).
func isFrame(marker byte) bool {
	return marker >= 0xC0 && marker <= 0xCF && marker != markerDHT && marker != 0xC8 && marker != markerDAC
}

// assemble writes SOI, the JFIF segment, an EXIF record of the
// orientation alone (if it turns the picture), and the kept parts.
func assemble(jfif, data []byte, kept []span, orientation uint16) []byte {
	size := 2 + len(jfif) + 36
	for _, s := range kept {
		size += s.to - s.from + len(s.literal)
	}
	out := make([]byte, 0, size)
	out = append(out, 0xFF, markerSOI)
	out = append(out, jfif...)
	if orientation >= 2 && orientation <= 8 {
		out = append(out, orientationSegment(orientation)...)
	}
	for _, s := range kept {
		if s.literal != nil {
			out = append(out, s.literal...)
			continue
		}
		out = append(out, data[s.from:s.to]...)
	}
	return out
}

// jfifWithoutThumbnail is a JFIF segment (version, density) without the
// thumbnail it may carry: a thumbnail can show what a crop took out.
func jfifWithoutThumbnail(segment, payload []byte) []byte {
	if len(payload) == 14 {
		return segment
	}
	out := append([]byte{0xFF, markerAPP0, 0x00, 16}, payload[:14]...)
	out[4+12], out[4+13] = 0, 0 // no thumbnail
	return out
}

// orientationSegment is an APP1 EXIF record holding one tag, Orientation
// (0x0112, a SHORT), in a big-endian TIFF structure: header, IFD0 of one
// entry, no next IFD.
func orientationSegment(orientation uint16) []byte {
	tiff := []byte{
		'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, // big-endian, magic 42, IFD0 at 8
		0x00, 0x01, // one entry
		0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, // Orientation, SHORT, count 1
		byte(orientation >> 8), byte(orientation), 0x00, 0x00, // the value, padded to 4 bytes
		0x00, 0x00, 0x00, 0x00, // no next IFD
	}
	n := 2 + len(exifHeader) + len(tiff)
	seg := append([]byte{0xFF, markerAPP1, byte(n >> 8), byte(n)}, exifHeader...)
	return append(seg, tiff...)
}

// exifOrientation reads IFD0's Orientation tag, one SHORT, from an EXIF
// record's TIFF structure; 0 when it has none or cannot be read.
func exifOrientation(tiff []byte) uint16 {
	if len(tiff) < 8 {
		return 0
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0
	}
	if order.Uint16(tiff[2:]) != 42 {
		return 0
	}
	ifd := int(order.Uint32(tiff[4:]))
	if ifd < 8 || ifd+2 > len(tiff) {
		return 0
	}
	count := int(order.Uint16(tiff[ifd:]))
	for e := range count {
		at := ifd + 2 + 12*e
		if at+12 > len(tiff) {
			return 0
		}
		if order.Uint16(tiff[at:]) == 0x0112 {
			if order.Uint16(tiff[at+2:]) != 3 || order.Uint32(tiff[at+4:]) != 1 {
				return 0 // not one SHORT: browsers ignore it too
			}
			return order.Uint16(tiff[at+8:])
		}
	}
	return 0
}
