package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/tfevents"
)

func runArchive(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("archive", "[-f] [-keep-images N] [-keep-audio N] [-thin-scalars K] [-json] LOGDIR OUT.tbar", stderr)
	force := fs.Bool("f", false, "replace OUT if it exists")
	keepImages := fs.Int("keep-images", 0, "lossy: keep only the last `N` image values of each tag (0 keeps all)")
	keepAudio := fs.Int("keep-audio", 0, "lossy: keep only the last `N` audio values of each tag (0 keeps all)")
	thin := fs.Int("thin-scalars", 0, "lossy: keep every `K`-th scalar of each tag and the last (0 or 1 keeps all)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("%w: archive takes a LOGDIR and an OUT file", errUsage)
	}
	if *keepImages < 0 || *keepAudio < 0 || *thin < 0 {
		return fmt.Errorf("%w: -keep-images, -keep-audio and -thin-scalars must not be negative", errUsage)
	}
	logdir, out := fs.Arg(0), fs.Arg(1)
	if _, err := os.Stat(out); err == nil && !*force {
		return fmt.Errorf("archive: %s already exists (-f replaces it)", out)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	opts := archive.Options{Compaction: archive.Compaction{KeepImages: *keepImages, KeepAudio: *keepAudio, ScalarFactor: *thin}}
	if line := newProgressLine(stderr, "archive "+logdir); line != nil {
		defer line.clear()
		opts.Progress = func(done, total int64) {
			line.show("%3.0f%% (%s of %s)", 100*float64(done)/float64(max(total, 1)), byteSize(done), byteSize(total))
		}
	}
	rep, err := archive.CreateFile(out, logdir, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, archiveJSON(logdir, out, rep))
	}
	return writeArchiveReport(stdout, logdir, out, rep)
}

func writeArchiveReport(w io.Writer, logdir, out string, rep *archive.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "archived %s -> %s\n", logdir, out)
	fmt.Fprintf(tw, "  %d files, %d directories\n", rep.Files, rep.Dirs)
	fmt.Fprintf(tw, "  %s in, %s out (%.1f%% of the logdir)\n", byteSize(rep.BytesIn), byteSize(rep.BytesOut), 100*rep.Ratio())
	for _, s := range rep.Skipped {
		fmt.Fprintf(tw, "  %v\n", s)
	}
	if c := rep.Compaction; c != nil {
		fmt.Fprintf(tw, "compaction (lossy): %s\n", describeCompaction(c.Settings))
		fmt.Fprintf(tw, "  files %s -> %s as stored; dropped %d scalars, %d images, %d audio values\n",
			byteSize(rep.BytesIn), byteSize(rep.BytesStored), c.ScalarsDropped, c.ImagesDropped, c.AudioDropped)
		for _, t := range c.Tags {
			fmt.Fprintf(tw, "  run %q\ttag %q\t%s\tkept %d of %d\n", t.Run, t.Tag, t.Kind, t.Kept, t.Kept+t.Dropped)
		}
		for _, d := range c.Damage {
			fmt.Fprintf(tw, "  read past and kept as it was: %v (\"tbgo repair\" first drops it)\n", &d)
		}
	}
	return tw.Flush()
}

func describeCompaction(c archive.Compaction) string {
	var parts []string
	if c.KeepImages > 0 {
		parts = append(parts, fmt.Sprintf("images: the last %d per tag", c.KeepImages))
	}
	if c.KeepAudio > 0 {
		parts = append(parts, fmt.Sprintf("audio: the last %d per tag", c.KeepAudio))
	}
	if c.ScalarFactor > 1 {
		parts = append(parts, fmt.Sprintf("scalars: every %d per tag and the last", c.ScalarFactor))
	}
	return "kept " + strings.Join(parts, "; ")
}

// byteSize formats n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// archiveReport is the JSON form of an archive.Report, with kinds named.
type archiveReport struct {
	Logdir      string          `json:"logdir"`
	Archive     string          `json:"archive"`
	Files       int             `json:"files"`
	Dirs        int             `json:"dirs"`
	BytesIn     int64           `json:"bytes_in"`
	BytesStored int64           `json:"bytes_stored"`
	BytesOut    int64           `json:"bytes_out"`
	Ratio       float64         `json:"ratio"`
	Skipped     []archive.Skip  `json:"skipped,omitempty"`
	Compaction  *compactionJSON `json:"compaction,omitempty"`
}

type compactionJSON struct {
	Settings       archive.Compaction      `json:"settings"`
	Files          []archive.CompactedFile `json:"files"`
	Tags           []tagDropJSON           `json:"tags"`
	Damage         []tfevents.Damage       `json:"damage,omitempty"`
	ScalarsDropped int                     `json:"scalars_dropped"`
	ImagesDropped  int                     `json:"images_dropped"`
	AudioDropped   int                     `json:"audio_dropped"`
}

type tagDropJSON struct {
	Run     string `json:"run"`
	Tag     string `json:"tag"`
	Kind    string `json:"kind"`
	Kept    int    `json:"kept"`
	Dropped int    `json:"dropped"`
}

func archiveJSON(logdir, out string, rep *archive.Report) archiveReport {
	j := archiveReport{Logdir: logdir, Archive: out, Files: rep.Files, Dirs: rep.Dirs, BytesIn: rep.BytesIn,
		BytesStored: rep.BytesStored, BytesOut: rep.BytesOut, Ratio: rep.Ratio(), Skipped: rep.Skipped}
	if c := rep.Compaction; c != nil {
		j.Compaction = &compactionJSON{Settings: c.Settings, Files: c.Files, Damage: c.Damage,
			ScalarsDropped: c.ScalarsDropped, ImagesDropped: c.ImagesDropped, AudioDropped: c.AudioDropped}
		for _, t := range c.Tags {
			j.Compaction.Tags = append(j.Compaction.Tags, tagDropJSON{t.Run, t.Tag, t.Kind.String(), t.Kept, t.Dropped})
		}
	}
	return j
}
