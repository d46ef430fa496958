// Package summary builds TensorBoard summaries for every dashboard, in
// TensorBoard's modern tensor form with full metadata on each value, and
// writes them to a run directory with Writer. It also decodes events written
// by any tool, tbgo, tensorboardX, PyTorch or TensorFlow, back into typed
// values (Decoder).
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
// creates other runs. NewWriter("", opts) makes a fresh run named after the
// time and host (DefaultRunDir), as PyTorch's SummaryWriter does, so that
// running a program again never adds a file to the previous run.
// NewStreamWriter writes the same bytes into any io.Writer (memory, or a
// sink that stores them as objects), and NewEventsWriter through a
// tfevents.Writer. Values reach the file within Options.FlushInterval
// (DefaultFlushInterval, two seconds, unless set), on Flush and on Close.
//
// A run may live in an object store: NewWriter("s3://bucket/runs/exp1/rank0?region=...")
// (and gs://, azblob://, once the program imports
// github.com/tbgo/tbgo/storage/cloud) uploads the run as segments, event
// files TensorBoard reads one after the other, within about 30 s of the
// values, and Flush and Close return once they are stored. Each process
// writes its own runs; a second writer of a run is refused.
// WriteExperiment and ReadExperiment take such URLs too, and
// WriteExperiment's merge is safe from many processes at once there.
//
// # Refused values
//
// Every write method returns an error naming the problem when it refuses
// a value (an empty tag, a tag used for another kind of data, NaN in a
// histogram, an event larger than the readers' limit, ...), and nothing of
// that value is written. A program that does not check each call still
// learns of them: Flush and Close return a *RefusedError counting the
// values refused since the previous Flush or Close, Err returns the first
// error of any call, and Options.OnError sees each one.
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
//   - audio: a DT_STRING [k, 2] tensor of 16-bit WAV clips and labels,
//     content AudioPluginData{encoding: WAV}, data class left unset (the
//     Python loader serves the labels as clips when it is set).
//   - PR curves: a DT_FLOAT [6, thresholds] tensor, data class TENSOR.
//   - hparams: the experiment, session start and session end summaries,
//     each a null tensor with HParamsPluginData content.
//   - custom scalars: the layout as a rank-0 DT_STRING tensor under
//     CustomScalarsTag.
//   - mesh: one DT_FLOAT, DT_INT32 or DT_UINT8 [batch, n, 3] tensor per
//     part (vertices, faces, colours).
//   - graphs: a GraphDef in Event.graph_def; the projector: files beside
//     the event file (projector_config.pbtxt, TSVs, a sprite).
//
// # Dashboards
//
// Beyond Scalar, Histogram, Image(s) and Text, a Writer draws every
// TensorBoard dashboard: Scalars (several lines in one chart, through a
// custom scalars layout in the same run) and CustomScalarsLayout; Graph
// (see Graph, Node and GraphBuilder); PRCurve, PRCurveClasses and
// PRCurveCounts; Audio; Video (an animated GIF in the images dashboard);
// Mesh; Embedding (the projector); and, for the HParams dashboard,
// WriteExperiment at the logdir root with StartSession and EndSession in
// each trial's run, or, for a search over one's own model, NewSweep and
// Sweep.Trial, which do all three. Images come from image.Image values,
// raw tensors (FromRaw), matrices (FromMatrix, scaled up to be seen) and
// a layer's weights (Filters, one tile per unit).
//
// # Sub-packages
//
// What costs more than the writer lives in packages of its own, so that a
// program pays only for what it imports: summary/figure draws gonum/plot
// plots (the only package that links gonum/plot, its fonts, PDF and SVG
// code); summary/runinfo records how a run was made (command, versions, VCS
// revision, host, config; runinfo.Write or SessionOptions.RunInfo), samples
// CPU, memory and GC as "sys/..." scalars (runinfo.StartSampler), and
// closes Writers on SIGINT and SIGTERM (runinfo.CloseOnSignal). The
// codecs (PNG, GIF, WAV) are internal.
//
// # Runs that crash
//
// A run resumed from a checkpoint sets Options.PurgeStep so that TensorBoard
// hides what the crashed process wrote after the checkpoint; the option's
// documentation says what each of TensorBoard's loaders does.
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
