package httpapi

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"strings"
)

// A large page whose beginning is kept between requests (years of equity
// history) is sent gzip-compressed by compressing that beginning once: a
// DEFLATE stream may be cut, at a flush, into parts made separately, as
// long as no part refers back into an earlier one. The kept head is
// compressed and flushed to a byte boundary; each request adds only its
// own tail, as the stream's final part (stored, not compressed), and a
// gzip trailer covers the whole: the CRC-32 of the head, kept, carried on
// over the tail, and the total length.

// gzipHead is the compressed head of a gzip stream and what its trailer
// needs to know of it.
type gzipHead struct {
	deflated []byte
	crc      uint32
	size     uint32
}

// gzipHeader is a member header without a name, time or extra fields
// (RFC 1952, section 2.3): deflate, unknown operating system.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

// compressHead compresses the parts as the head of a gzip stream.
func compressHead(parts ...[]byte) gzipHead {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression) // the level is valid
	var h gzipHead
	for _, p := range parts {
		w.Write(p) // a bytes.Buffer does not fail
		h.crc = crc32.Update(h.crc, crc32.IEEETable, p)
		h.size += uint32(len(p))
	}
	w.Flush() // ends on a byte boundary; the stream goes on
	h.deflated = b.Bytes()
	return h
}

// finish returns the whole gzip stream in pieces: the header and the
// kept head, then tail as the final part, then the trailer. The tail (a live
// point and the page's closing) is small and differs on every read, so it
// goes as stored blocks, which cost no compressor.
func (h gzipHead) finish(tail []byte) [][]byte {
	b := make([]byte, 0, len(tail)+5*(len(tail)/maxStored+1)+8)
	for rest := tail; ; {
		n := min(len(rest), maxStored)
		final := byte(0)
		if n == len(rest) {
			final = 1
		}
		// A stored block (RFC 1951, section 3.2.4): its header bits, then,
		// from the byte boundary, LEN and its complement, then the bytes.
		b = append(b, final)
		b = binary.LittleEndian.AppendUint16(b, uint16(n))
		b = binary.LittleEndian.AppendUint16(b, ^uint16(n))
		b = append(b, rest[:n]...)
		rest = rest[n:]
		if final == 1 {
			break
		}
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Update(h.crc, crc32.IEEETable, tail))
	b = binary.LittleEndian.AppendUint32(b, h.size+uint32(len(tail)))
	return [][]byte{gzipHeader, h.deflated, b}
}

// maxStored is the most a stored block holds.
const maxStored = 1<<16 - 1

// acceptsGzip reports whether an Accept-Encoding header accepts gzip
// (RFC 9110, section 12.5.3): named (or as x-gzip) with a weight above
// zero, or, when not named, through "*".
func acceptsGzip(header string) bool {
	named, wild := -1.0, -1.0
	for item := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(item, ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				q = f
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip", "x-gzip":
			named = max(named, q)
		case "*":
			wild = max(wild, q)
		}
	}
	if named >= 0 {
		return named > 0
	}
	return wild > 0
}
