package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// resyncWindow is how many bytes Resync scans per read.
const resyncWindow = 64 << 10

// Resync finds where records start again after damage: it returns the
// offset of the first record in r that starts at or after from and is
// whole and valid within limit. A candidate at offset off must have
//
//   - a length field whose masked CRC-32C matches the next 4 bytes,
//   - a length of at most DefaultMaxRecordLen,
//   - room for the whole record: off+16+length <= limit,
//   - data whose masked CRC-32C matches the record's last 4 bytes.
//
// Requiring both checksums makes a false match a 1 in 2^64 event per
// offset, where the length checksum alone would be fooled once in every
// 4 GiB of random bytes. Resync returns io.EOF when no record qualifies,
// and any other error r returns.
//
// Use it after a Reader reports a LengthChecksum CorruptError at offset
// off: Resync(r, off+1, size) is where the next record the writer framed
// begins, and NewReaderAt can read on from there. The scan reads r in 64
// KiB windows and allocates one window; a candidate's data is checked in
// place or, for a record longer than the window, streamed through the
// same buffer.
func Resync(r io.ReaderAt, from, limit int64) (int64, error) {
	if from < 0 {
		return 0, fmt.Errorf("tfevents: resync from negative offset %d", from)
	}
	buf := make([]byte, resyncWindow)
	var scratch []byte // for the data of a record longer than buf
	for base := from; limit-base >= headerLen+footerLen; {
		n, err := readWindow(r, buf, base, limit)
		if err != nil {
			return 0, err
		}
		for i := 0; i+headerLen <= n; i++ {
			hdr := buf[i : i+headerLen]
			length := binary.LittleEndian.Uint64(hdr)
			off := base + int64(i)
			// Cheap tests first: a random 8 bytes is almost never a
			// small enough length.
			if limit-off < headerLen+footerLen {
				break
			}
			if length > DefaultMaxRecordLen || length > uint64(limit-off-headerLen-footerLen) {
				continue
			}
			if MaskedCRC(hdr[:8]) != binary.LittleEndian.Uint32(hdr[8:]) {
				continue
			}
			ok, err := dataValid(r, buf, &scratch, i, n, off, int64(length))
			if err != nil {
				return 0, err
			}
			if ok {
				return off, nil
			}
		}
		if base+int64(n) >= limit {
			break
		}
		// Overlap windows so that a header across their edge is seen.
		base += int64(n - (headerLen - 1))
	}
	return 0, io.EOF
}

// readWindow fills buf from r at base, up to limit, and returns how many
// bytes it read.
func readWindow(r io.ReaderAt, buf []byte, base, limit int64) (int, error) {
	n := int(min(int64(len(buf)), limit-base))
	return n, readAt(r, buf[:n], base)
}

// dataValid checks the data checksum of the record at off whose header is
// at buf[i:], n bytes of buf being valid. A record that does not fit in
// buf is streamed through *scratch, allocated on first use.
func dataValid(r io.ReaderAt, buf []byte, scratch *[]byte, i, n int, off, length int64) (bool, error) {
	end := int64(i) + headerLen + length + footerLen
	if end <= int64(n) {
		data := buf[i+headerLen : end-footerLen]
		return MaskedCRC(data) == binary.LittleEndian.Uint32(buf[end-footerLen:]), nil
	}
	if *scratch == nil {
		*scratch = make([]byte, resyncWindow)
	}
	var crc uint32
	for pos, left := off+headerLen, length; left > 0; {
		chunk := (*scratch)[:min(int64(len(*scratch)), left)]
		if err := readAt(r, chunk, pos); err != nil {
			return false, err
		}
		crc = crc32.Update(crc, castagnoli, chunk)
		pos += int64(len(chunk))
		left -= int64(len(chunk))
	}
	sum := (*scratch)[:footerLen]
	if err := readAt(r, sum, off+headerLen+length); err != nil {
		return false, err
	}
	return mask(crc) == binary.LittleEndian.Uint32(sum), nil
}

// readAt fills p from r at off; a short read is an error even with a nil
// or io.EOF error, since the caller checked the bytes are there.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("tfevents: resync: reading %d bytes at offset %d: %w", len(p), off, err)
}
