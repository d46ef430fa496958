// Package archive packs a TensorBoard logdir into one compressed file and
// reads it back, either as a file system (fs.FS) that tbgo's readers walk
// like a directory, or by restoring it to disk byte for byte.
//
//	rep, err := archive.CreateFile("runs.tbar", "runs", archive.Options{})
//	r, err := archive.Open("runs.tbar")            // an fs.FS
//	f, err := r.Open("train/events.out.tfevents.1735689600.host.1.000")
//	rep, err := archive.Restore("runs.tbar", "restored", archive.RestoreOptions{})
//
// # What is archived
//
// Every regular file under the logdir (event files, projector configs and
// assets, anything else) and every directory, with its permission bits and
// modification time to the nanosecond. Symbolic links are followed, as
// TensorBoard follows them, and stored as what they point to, but each
// real directory is archived once, however many paths reach it (links
// that reach one directory twice at each of n levels make 2^n paths). Left
// out, and listed in Report.Skipped with the reason, are: a second path to
// a directory already archived (a link back to an ancestor, or a second
// link to one directory), a dangling link, a name that cannot be restored
// portably (not UTF-8, or holding a backslash), and sockets, pipes and
// devices. The archive never holds a link. A logdir without an event file
// is refused. The walk is the one run discovery makes
// (tfevents.Discovery).
//
// # Format
//
// An archive is a 16-byte header (magic "\x89TBAR\r\n\x1a", format version
// 1, a CRC-32C of the header), then each non-empty file compressed as its
// own Snappy framed stream (github.com/golang/snappy: 64 KiB chunks, each
// with the masked CRC-32C of its uncompressed bytes), then the manifest as
// a Snappy framed stream of JSON, then a 40-byte footer giving the
// manifest's offset, compressed length and size, with its own CRC-32C.
// Writing needs no seeking, so Create streams to any io.Writer; reading
// seeks to the footer and then to any one file without touching the
// others. Each file's stream can also be cut out (its offset and length
// are in the manifest) and decompressed by any Snappy framing tool.
//
// The manifest lists, in path order, each entry's path, type ("file" or
// "dir"), permission bits, modification time (seconds and nanoseconds),
// and for a file its size, SHA-256, and where its stream lies.
//
// # Checksums
//
// Each file carries the SHA-256 of its bytes in the manifest, on top of
// the CRC-32C Snappy keeps per 64 KiB chunk. The chunk CRCs catch damage
// early and cheaply, where it is; the SHA-256 checks the file end to end
// (a chunk that is whole but in the wrong place, or missing, passes the
// CRCs), it cannot be matched by accident or on purpose, and it is the
// digest people already use: sha256sum of a restored file prints the
// manifest's value. On processors with SHA instructions it runs faster
// than Snappy compresses, so it costs little.
//
// # Reading hostile archives
//
// Open refuses, with an error naming the problem and wrapping ErrCorrupt,
// ErrUnsafePath, ErrVersion or ErrNotArchive, any archive that is not
// exactly what Create writes:
//   - a header, footer or manifest whose magic, version or checksum is
//     wrong, or a footer whose lengths do not add up to the file's size
//     (lengths are compared without adding, so values near 2^64 cannot
//     wrap around);
//   - a manifest over MaxManifestSize, or one declaring more than 32 bytes
//     per compressed byte (Snappy cannot exceed about 21), so a
//     decompression bomb is refused before anything is decompressed;
//   - a manifest listing more than MaxEntries entries. The manifest is
//     decoded an entry at a time into a compact index, so the memory an
//     open archive holds grows with the manifest's size (a dozen bytes
//     and the path per entry), never with a Go value per entry: a million
//     entries take about 17 MB;
//   - an entry that is not a file or a directory (a symbolic link, a hard
//     link, a device), a path that is absolute, holds "..", a backslash, a
//     NUL byte or a drive letter, entries out of order or repeated, a path
//     that is both a file and a directory;
//   - stored ranges outside the file data, out of manifest order or
//     overlapping each other.
//
// Files decompress as they are read, one 64 KiB chunk at a time. A file
// that decompresses to more or fewer bytes than declared, or to bytes
// whose SHA-256 differs, fails its last Read with a *tfevents.Damage of
// kind BadFileChecksum (wrapping ErrCorrupt and tfevents.ErrCorrupt)
// instead of io.EOF, so any reader that reads to the end checks the file
// and reports the damage as every other tbgo reader does.
//
// # Restoring
//
// Restore writes into a directory that does not exist yet or is empty,
// unless RestoreOptions.Overwrite is set. Every path is resolved through
// an os.Root, so nothing can be written outside the target even through a
// symbolic link already there. Files are written under temporary names,
// checked against their SHA-256, and renamed into place only when all of
// them are whole; then permissions and times are set, directories last.
// On any error what was written is removed.
//
// # Compaction
//
// Without Options.Compaction, event files are archived byte for byte.
// With it, which must be asked for, Create rewrites event files to drop
// values, and reports every series it thinned in Report.Compaction:
//   - KeepImages: keep the last N image values of each tag (a value is one
//     step's entry, however many images its batch holds);
//   - KeepAudio: keep the last N audio values of each tag;
//   - ScalarFactor k: keep every k-th scalar of each tag (the 1st, the
//     (k+1)-th, ...) and the last.
//
// Values are counted per run and tag across the run's event files in name
// order, the order TensorBoard reads them in, read with tfevents.Scanner
// (so compaction sees the records every tbgo reader sees) and classified
// with summary.Decoder, so legacy and modern forms from any writer count
// alike.
// What compaction does to the bytes:
//   - a record with nothing to drop is copied byte for byte: the
//     file_version event, session logs, graphs, histograms, text and
//     every other plugin's values, and the kept values of thinned series;
//   - an event whose summary values are all dropped is removed;
//   - an event that loses some of its values is re-framed with the raw
//     bytes of the values it keeps, in their order, and every other field
//     of the event as it was;
//   - when the first value of a series, which carries the series'
//     metadata (its plugin), is dropped, that metadata is added to the
//     first value kept, so both of TensorBoard's loaders still know what
//     the series is;
//   - a torn last record is kept as it is;
//   - damage is read past, as every tbgo reader reads past it, and kept
//     byte for byte where it was: a record whose checksum fails, the bytes
//     from a corrupt length to the next valid record, a record over the
//     readers' limit, a record that is not an Event, an event whose wall
//     time is not finite (its values are not counted); it is listed in
//     CompactionReport.Damage ("tbgo repair" drops it), or, with
//     Options.Strict, fails Create.
//
// A compacted file's manifest entry keeps the original's size and SHA-256
// besides its own, and the manifest records the settings, so the archive
// says it is not a byte-for-byte copy.
package archive
