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
	markerAPP0 = 0xE0
	markerAPP1 = 0xE1
	markerAPP2 = 0xE2
	markerAP14 = 0xEE // Adobe: the colour transform decoders need
	markerCOM  = 0xFE
)

var (
	jfifHeader = []byte("JFIF\x00")
	exifHeader = []byte("Exif\x00\x00")
	iccHeader  = []byte("ICC_PROFILE\x00")
)

// ErrNotJPEG is Strip's error for data that does not start as a JPEG.
var ErrNotJPEG = errors.New("not a JPEG: no start-of-image marker")

// Strip returns data without its metadata segments and anything after
// the image's end, and whether anything was taken out; data itself is not
// changed. The image must be whole up to its first scan; a file cut short
// inside its scans (a picture a browser still shows in part) keeps what
// it has.
func Strip(data []byte) (out []byte, stripped bool, err error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != markerSOI {
		return nil, false, ErrNotJPEG
	}
	var (
		head        [][]byte // APP0 (JFIF), kept first
		body        [][]byte // every other segment kept, in order
		orientation uint16
		scanned     bool // a start-of-scan was seen
	)
	i := 2
	for i < len(data) {
		// bytes before a marker are skipped, as libjpeg and Go's decoder
		// skip them (some cameras pad between segments), as are fill bytes
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
		switch {
		case marker == markerEOI:
			body = append(body, data[i:i+2])
			if i+2 < len(data) {
				stripped = true // an appended image or a vendor's trailer
			}
			return assemble(head, body, orientation), stripped, nil
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD7: // TEM, RSTn: no length
			body = append(body, data[i:i+2])
			i += 2
			continue
		case marker == 0x00:
			return nil, false, fmt.Errorf("a stray 0xFF 0x00 at byte %d, outside a scan", i)
		}
		if i+4 > len(data) {
			return nil, false, fmt.Errorf("the segment at byte %d is cut short", i)
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil, false, fmt.Errorf("the segment 0xFF%02X at byte %d claims %d bytes; %d are left", marker, i, n, len(data)-i-2)
		}
		segment, payload := data[i:i+2+n], data[i+4:i+2+n]
		i += 2 + n
		switch {
		case marker == markerAPP0 && len(body) == 0 && len(head) == 0 && bytes.HasPrefix(payload, jfifHeader) && len(payload) >= 14:
			head = append(head, jfifWithoutThumbnail(segment, payload))
			stripped = stripped || len(payload) > 14
		case marker == markerAPP1:
			if bytes.HasPrefix(payload, exifHeader) && orientation == 0 {
				orientation = exifOrientation(payload[len(exifHeader):])
				if bytes.Equal(segment, orientationSegment(orientation)) {
					break // this package's own record: written again as it is
				}
			}
			stripped = true
		case marker == markerAPP2 && bytes.HasPrefix(payload, iccHeader), marker == markerAP14:
			body = append(body, segment)
		case marker >= markerAPP0 && marker <= 0xEF || marker == markerCOM:
			stripped = true
		case marker == markerSOS:
			body = append(body, segment)
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
			body = append(body, data[i:end])
			i = end
		default:
			body = append(body, segment)
		}
	}
	if !scanned {
		return nil, false, errors.New("the image ends before its first scan")
	}
	return assemble(head, body, orientation), stripped, nil
}

// assemble writes SOI, the JFIF segment, an EXIF record of the
// orientation alone (if it turns the picture), and the rest.
func assemble(head, body [][]byte, orientation uint16) []byte {
	size := 2 + 36
	for _, s := range head {
		size += len(s)
	}
	for _, s := range body {
		size += len(s)
	}
	out := make([]byte, 0, size)
	out = append(out, 0xFF, markerSOI)
	for _, s := range head {
		out = append(out, s...)
	}
	if orientation >= 2 && orientation <= 8 {
		out = append(out, orientationSegment(orientation)...)
	}
	for _, s := range body {
		out = append(out, s...)
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

// exifOrientation reads IFD0's Orientation tag from an EXIF record's TIFF
// structure; 0 when it has none or cannot be read.
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
		if order.Uint16(tiff[at:]) == 0x0112 && order.Uint16(tiff[at+2:]) == 3 {
			return order.Uint16(tiff[at+8:])
		}
	}
	return 0
}
