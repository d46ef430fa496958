package hostile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"testing"

	"github.com/golang/snappy"
)

// ManifestBomb writes at name a tbgo archive (format version 1, as
// package archive documents it) holding one small event file,
// "run/"+FileName, and a manifest that decompresses to about
// manifestSize bytes: one directory entry per 34 bytes, two million for
// 64 MiB, in a file of a few megabytes. Every entry is valid, so a reader
// cannot refuse it; it must bound the memory the entries take. (The
// archive is written from the format's description, not by package
// archive, so that the reader is tested against the format.)
func ManifestBomb(t testing.TB, name string, manifestSize int) {
	t.Helper()
	content := eventFileBytes(scalars("x", 0, 3)...)
	stored := snappyStream(content)

	// The header: magic, version 1, flags 0, CRC-32C of the 12 bytes.
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	b := []byte("\x89TBAR\r\n\x1a")
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	offset := len(b)
	b = append(b, stored...)

	sum := sha256.Sum256(content)
	var m bytes.Buffer
	m.WriteString(`{"version":1,"entries":[` + "\n")
	m.WriteString(`{"path":".","type":"dir","mode":493}`)
	for i := 0; m.Len() < manifestSize-512; i++ { // room for the run and its file
		fmt.Fprintf(&m, ",\n{\"path\":\"d%07d\",\"type\":\"dir\"}", i)
	}
	fmt.Fprintf(&m, ",\n{\"path\":\"run\",\"type\":\"dir\",\"mode\":493}")
	fmt.Fprintf(&m, ",\n{\"path\":\"run/%s\",\"type\":\"file\",\"mode\":420,\"size\":%d,\"sha256\":%q,\"offset\":%d,\"stored\":%d}",
		FileName, len(content), hex.EncodeToString(sum[:]), offset, len(stored))
	m.WriteString("\n]}\n")

	// The manifest, then the footer: its offset, stored length and size,
	// a CRC-32C of those 24 bytes, 4 zero bytes, the end magic.
	manifestAt := len(b)
	b = append(b, snappyStream(m.Bytes())...)
	foot := binary.LittleEndian.AppendUint64(nil, uint64(manifestAt))
	foot = binary.LittleEndian.AppendUint64(foot, uint64(len(b)-manifestAt))
	foot = binary.LittleEndian.AppendUint64(foot, uint64(m.Len()))
	foot = binary.LittleEndian.AppendUint32(foot, crc32.Checksum(foot, castagnoli))
	foot = binary.LittleEndian.AppendUint32(foot, 0)
	b = append(b, foot...)
	b = append(b, "\x89TBAREND"...)
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func snappyStream(data []byte) []byte {
	var b bytes.Buffer
	w := snappy.NewBufferedWriter(&b)
	w.Write(data)
	w.Close() // writes to a bytes.Buffer: cannot fail
	return b.Bytes()
}
