// Package summary builds TensorBoard summaries (scalars, histograms, images
// and text in TensorBoard's modern tensor form, each value carrying full
// metadata) and writes them to a run directory with Writer. It also decodes
// events written by any tool, tbgo, tensorboardX, PyTorch or TensorFlow,
// back into typed values.
//
// # Writing
//
//	w, err := summary.NewWriter("runs/exp1", nil)
//	if err != nil { ... }
//	defer w.Close()
//	w.Scalar("loss", step, loss)
//	w.Histogram("layer1/weights", step, weights)
//
// A Writer writes one event file in one directory, the run, and never
// creates other runs. Values reach the file within Options.FlushInterval
// (DefaultFlushInterval, two seconds, unless set), on Flush and on Close.
//
// # Formats
//
// Every value has SummaryMetadata with the plugin name, the plugin's content
// and the data class, so both of TensorBoard's loaders (the Python
// EventMultiplexer and the Rust data server) read it:
//
//   - scalars: a rank-0 DT_FLOAT tensor, data class SCALAR. Values are
//     stored as float32, as TensorBoard stores them; NaN and ±Inf are kept.
//   - histograms: a DT_DOUBLE [k, 3] tensor of (left edge, right edge,
//     count) rows, data class TENSOR, bucketed as TensorBoard 2.x does.
//   - images: a DT_STRING [2+n] tensor ("width", "height", PNG...), data
//     class BLOB_SEQUENCE.
//   - text: a DT_STRING tensor, rank 0 for a Markdown document or rank 2
//     for a table, data class TENSOR.
//
// # Histograms
//
// Buckets follows TensorBoard 2.x (tf.summary.histogram since 2.8): k
// buckets (DefaultBuckets unless chosen) of equal width spanning [min, max],
// the last bucket closed; when all values are equal, k buckets whose edges
// are all that value, with every count in the last; no values give k
// buckets of zeros. NaN and ±Inf values are refused with ErrNonFinite,
// because TensorBoard's bucketing spreads a single NaN over every edge and
// the chart then draws nothing.
package summary
