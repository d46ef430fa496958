// Package table writes run histories read by package history as tables:
// CSV, JSON Lines or Parquet files with a stable schema, the scalars in a
// long or a wide layout, and images and audio clips extracted to files
// with an index table. It is what "tbgo export" does, and what the tbgo
// commands that print tables (compare, tail) write them with. Compare
// tabulates runs side by side, as "tbgo compare" does.
//
// # Exporting
//
// Write writes one table to an io.Writer, WriteFile to a file, WriteDir
// several into a directory; Options choose the kinds of data, the format,
// the layout and the runs, tags and view to read (history.Options):
//
//	src, _ := history.Open("runs")
//	defer src.Close()
//	_, err := table.WriteFile(ctx, "scalars.parquet", src, &table.Options{
//		Format: table.Parquet,
//		Read:   history.Options{View: history.TensorBoard},
//	})
//
// Files are written atomically (internal/atomicfile): a failed export
// leaves nothing behind. Memory stays bounded whatever the size of the
// logdir: values are streamed run by run, and the wide layout, which must
// sort a run's values by step, sorts chunks of Options.SpillAfter values
// into temporary files and merges them.
//
// # Comparing runs
//
// Compare turns history.Summarize's run summaries into a Comparison: a
// row per run with its status, start time, duration and
// hyper-parameters, then, for each scalar tag, the last value (what
// TensorBoard's HParams dashboard shows), the minimum or the maximum with
// the step of each. CompareOptions filter the rows (Where: "lr<0.01",
// "run~trial-*") and sort them (Sort: "-loss:last"); Write writes the
// Comparison as a table in any Format, WriteJSON as a JSON array, and
// WriteText and WriteMarkdown as the table people read, rounded and
// fitted to a width (TextOptions), as "tbgo compare" prints it:
//
//	sums, _ := history.Summarize(ctx, src, &history.Options{View: history.TensorBoard})
//	c, err := table.Compare(sums, &table.CompareOptions{
//		Stats: []table.Stat{table.Last, table.Min},
//		Sort:  []string{"loss:last"},
//	})
//	err = c.Write(os.Stdout, table.CSV)
//	omitted, err := c.WriteText(os.Stdout, &table.TextOptions{Width: 100})
//
// # Tables
//
// Each table's columns, in this order (Columns); the names are stable.
//
//	scalars, long layout   run, tag, step, wall_time, value
//	scalars, wide layout   run, step, wall_time, then one column per tag, tags in
//	                       name order (WideColumns); a row per run and step holds
//	                       the last value of each tag at that step, and the
//	                       earliest wall time of them
//	histograms             run, tag, step, wall_time, bucket, left, right, count
//	                       (a row per bucket; a histogram of no data is one row
//	                       with bucket, left, right and count null)
//	text                   run, tag, step, wall_time, row, col, text
//	                       (a row per cell; a document is row 0, col 0)
//	hparams                run, group, status, start_time, end_time, then one
//	                       column per hyper-parameter in name order, named
//	                       "hparam:NAME" if NAME is one of the five before it
//	                       (HParamColumns); a row per run with a session
//	images/index           run, tag, step, wall_time, sample, width, height, file
//	audio/index            run, tag, step, wall_time, sample, content_type,
//	                       sample_rate, label, file
//
// status is TensorBoard's: STATUS_SUCCESS, STATUS_FAILURE,
// STATUS_RUNNING, or STATUS_UNKNOWN for a session without an end.
//
// # Values
//
// In Parquet every column is typed: strings, int64, double (wall times
// too, in seconds since the Unix epoch), booleans, nullable where a cell
// may be empty. In CSV and JSON Lines (Value.AppendText):
//
//   - wall_time, start_time and end_time are seconds since the Unix epoch
//     with six decimals (microseconds): 1700000000.250000;
//   - a scalar is written at the precision it was stored with: a float32
//     (what TensorBoard's writers store) in the shortest form that reads
//     back to the same float32, 0.1 and not 0.10000000149011612, a
//     float64 in the shortest form that reads back to the same float64
//     (ScalarValue); other numbers, such as histogram edges, are float64;
//   - NaN and infinities are NaN, Inf and -Inf in CSV, "NaN", "Infinity"
//     and "-Infinity" in JSON Lines;
//   - an empty cell is an empty CSV field or a JSON null.
//
// # Media files
//
// Images and audio clips are written below images/ and audio/ as
// RUN/TAG/step<STEP>_<SAMPLE>.<ext>, the extension from the data's magic
// bytes (png, jpg, gif, bmp; wav), where RUN and TAG are each one path
// component (Component): letters, digits, "-", "_", "=", "+" and "." as
// they are, any other byte as %XX, so "sweep/lr=0.1" is the directory
// "sweep%2Flr=0.1". A run's directory holds only its tags' directories
// and a tag's only its files, so no name can collide with another's
// directory. A step logged twice (in the raw view) gives a second file
// step<STEP>_<SAMPLE>-2.<ext>. The index table maps every file back to
// its run, tag, step and sample.
package table
