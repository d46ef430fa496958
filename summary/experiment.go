package summary

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tbgo/tbgo/proto/hparamspb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// ExperimentValue returns the summary value that declares exp, as
// WriteExperiment writes it: tag ExperimentTag, plugin content an
// HParamsPluginData holding the experiment, data class TENSOR and
// TensorBoard's null tensor (a DT_FLOAT tensor of shape [0]).
func ExperimentValue(exp Experiment) (*tbpb.Summary_Value, error) {
	pb, err := exp.proto()
	if err != nil {
		return nil, err
	}
	if pb.TimeCreatedSecs == 0 {
		pb.TimeCreatedSecs = tfevents.WallTime(time.Now())
	}
	return experimentValue(pb), nil
}

func experimentValue(pb *hparamspb.Experiment) *tbpb.Summary_Value {
	return hparamsSummaryValue(ExperimentTag, &hparamspb.HParamsPluginData{
		Data: &hparamspb.HParamsPluginData_Experiment{Experiment: pb},
	})
}

// ErrNoExperiment is returned by ReadExperiment for a logdir whose root run
// declares no experiment.
var ErrNoExperiment = errors.New("summary: no experiment at the logdir root")

// WriteExperiment declares exp for the sessions of logdir: it writes one
// experiment summary into the logdir's root run (".") and nowhere else,
// where TensorBoard looks for it (the sessions go in runs below, one per
// Writer, with StartSession). Write it once from the program that runs the
// sweep; the trials need not write it.
//
// TensorBoard takes the experiment from the first run it finds one in, so
// writing one in every trial's run, as tensorboardX and PyTorch's
// add_hparams do, shows an arbitrary trial's declaration and hides the
// hyper-parameters of the others. Hence one experiment, at the root.
//
// A sweep that grows may declare again: WriteExperiment merges exp into
// the experiment already at the root, so the root holds the union of every
// declaration. Hyper-parameters and metrics are matched by name (by group
// and tag); discrete domains are joined, intervals widened to cover both,
// a discrete set of numbers and an interval give the interval covering
// both, and AnyOf absorbs a domain of its type; a type that changes is an
// error. Non-empty names, display names and descriptions replace the old
// ones. Declarations only grow: to remove one, delete the root's event
// files. If the union is the experiment already there, nothing is written.
//
// Writing the union again at a later step, or in another event file of
// the root, would not change what TensorBoard shows: both of its loaders
// keep the metadata of a tag's first value, and an experiment lives in its
// metadata. So WriteExperiment writes the union into a new event file and
// then removes the root's older event files that hold only experiments
// (files it wrote). A TensorBoard started afterwards shows the union; one
// already running keeps what it first read until it is restarted. An
// experiment the root holds in a file with other data cannot be replaced
// and is an error, before anything is written.
//
// Keep the root run for the experiment: a Writer writing other data into
// the logdir itself competes with these files (TensorBoard's Python loader
// reads only the newest event file of a run once it has moved on to it).
// On a local disk WriteExperiment is not safe for concurrent use on one
// logdir, by goroutines or processes.
//
// # In an object store
//
// logdir may be a URL, as NewWriter takes them. There the root's
// experiment is one object, ExperimentObject, which sorts before any
// other event file of the root, and WriteExperiment merges into it with
// storage.Update: a conditional write (S3 If-Match, GCS generation match,
// Azure If-Match; create-only when it is absent) that fails if another
// process changed it since it was read, and then reads and merges again.
// So the trials of a sweep fanned out over many machines may all declare
// the experiment as they start, at once, and no declaration is lost. The
// object is replaced only when the union grows: a TensorBoard already
// reading it keeps the experiment it read first (its Python loader may
// then log a data-loss error for the root run, which holds nothing else,
// and go on). Other experiment-only files at the root, which nothing in
// an object store deletes, are merged in and stay shadowed.
func WriteExperiment(logdir string, exp Experiment) error {
	pb, err := exp.proto()
	if err != nil {
		return err
	}
	local, ok := storage.Local(logdir)
	if !ok {
		return writeBucketExperiment(logdir, pb)
	}
	logdir = local
	root, err := readRootExperiments(os.DirFS(logdir), logdir, "")
	if err != nil {
		return err
	}
	old, err := root.union()
	if err != nil {
		return err
	}
	merged := pb
	if old != nil {
		if merged, err = mergeExperiments(old, pb); err != nil {
			return err
		}
		if proto.Equal(merged, old) && len(root.experiments) == 1 {
			return nil
		}
	}
	if merged.TimeCreatedSecs == 0 {
		merged.TimeCreatedSecs = tfevents.WallTime(time.Now())
	}

	w, err := NewWriter(logdir, &Options{FlushInterval: -1, Fsync: true})
	if err != nil {
		return err
	}
	err = w.WriteValue(0, experimentValue(merged))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(w.FileName())
		return err
	}
	for _, name := range root.ours {
		f := filepath.Join(logdir, filepath.FromSlash(name))
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("summary: the experiment is written, but the old one in %s stays and shadows it: %w", f, err)
		}
	}
	return nil
}

// ExperimentObject is the name of the event file that holds the
// experiment at the root of a logdir in an object store (see
// WriteExperiment). Its start field is all zeros, so that it sorts before
// the segments of any writer, and TensorBoard reads it first.
const ExperimentObject = "events.out." + tfevents.Infix + ".0000000000.experiment"

// writeBucketExperiment merges exp into the ExperimentObject at the root
// of location, an object store's logdir, with storage.Update.
func writeBucketExperiment(location string, exp *hparamspb.Experiment) error {
	ctx := context.Background()
	st, err := storage.Open(ctx, location)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	defer st.Close()
	name := storage.Display(location)
	others, err := readRootExperiments(st.FS(), name, ExperimentObject)
	if err != nil {
		return err
	}
	err = storage.Update(ctx, st.Bucket(), st.Key(ExperimentObject), func(data []byte) ([]byte, error) {
		var exps []*hparamspb.Experiment
		if data != nil {
			var err error
			if exps, _, err = readExperimentFile(bytes.NewReader(data), storage.Join(name, ExperimentObject)); err != nil {
				return nil, err
			}
		}
		all := &rootExperiments{experiments: append(exps, others.experiments...)}
		old, err := all.union()
		if err != nil {
			return nil, err
		}
		merged := exp
		if old != nil {
			if merged, err = mergeExperiments(old, exp); err != nil {
				return nil, err
			}
			if data != nil && proto.Equal(merged, old) {
				return nil, nil // declared already: nothing to write
			}
		}
		if merged.TimeCreatedSecs == 0 {
			merged.TimeCreatedSecs = tfevents.WallTime(time.Now())
		}
		return experimentFile(merged)
	})
	if err != nil {
		return fmt.Errorf("summary: experiment at %s: %w", name, err)
	}
	return nil
}

// experimentFile returns an event file that declares exp: the first
// event, then the experiment at step 0.
func experimentFile(exp *hparamspb.Experiment) ([]byte, error) {
	var buf bytes.Buffer
	w, err := NewStreamWriter(&buf, &Options{FlushInterval: -1})
	if err != nil {
		return nil, err
	}
	err = w.WriteValue(0, experimentValue(exp))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return buf.Bytes(), err
}

// ReadExperiment returns the experiment declared at the root of logdir, the
// one TensorBoard shows: the first in the root's event files in name
// order. It returns an error wrapping ErrNoExperiment if there is none.
// logdir may be a URL, as WriteExperiment takes them.
func ReadExperiment(logdir string) (*Experiment, error) {
	st, err := storage.Open(context.Background(), logdir) // a path too: its FS is os.DirFS
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	defer st.Close()
	root, err := readRootExperiments(st.FS(), storage.Display(logdir), "")
	if err != nil {
		return nil, err
	}
	if len(root.experiments) == 0 {
		return nil, fmt.Errorf("%w %s", ErrNoExperiment, storage.Display(logdir))
	}
	return experimentOf(root.experiments[0]), nil
}

// rootExperiments is what the root run of a logdir holds of experiments.
type rootExperiments struct {
	experiments []*hparamspb.Experiment // in file and record order
	ours        []string                // files holding nothing but experiments
}

// union returns the union of the declarations, nil if there are none.
func (r *rootExperiments) union() (*hparamspb.Experiment, error) {
	var u *hparamspb.Experiment
	for _, e := range r.experiments {
		if u == nil {
			u = e
			continue
		}
		var err error
		if u, err = mergeExperiments(u, e); err != nil {
			return nil, fmt.Errorf("%w (merging the experiments already at the root)", err)
		}
	}
	return u, nil
}

// readRootExperiments reads every event file directly in the root of
// fsys but skip, naming them below logdir in messages. A file with other
// data that declares an experiment is an error, since WriteExperiment
// could not replace that declaration.
func readRootExperiments(fsys fs.FS, logdir, skip string) (*rootExperiments, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if errors.Is(err, fs.ErrNotExist) {
		return &rootExperiments{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	root := &rootExperiments{}
	for _, e := range entries { // ReadDir sorts by name, as TensorBoard reads
		if e.IsDir() || !tfevents.IsEventFile(e.Name()) || e.Name() == skip {
			continue
		}
		name := e.Name()
		display := storage.Join(logdir, name)
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("summary: %w", err)
		}
		exps, only, err := readExperimentFile(f, display)
		f.Close()
		if err != nil {
			return nil, err
		}
		if len(exps) > 0 && !only {
			return nil, fmt.Errorf("summary: %s declares an experiment among other data; "+
				"TensorBoard would keep showing it, so it cannot be replaced (move the other data to a run below the root)", display)
		}
		root.experiments = append(root.experiments, exps...)
		if only {
			root.ours = append(root.ours, name)
		}
	}
	return root, nil
}

// readExperimentFile returns the experiments the event file r, named name
// in messages, declares and whether it holds nothing else. Damage is
// skipped, as every reader skips it, but a damaged file, or one that ends
// inside a record (it is being written), is not only experiments:
// WriteExperiment must not replace it.
func readExperimentFile(r io.Reader, name string) (exps []*hparamspb.Experiment, only bool, err error) {
	only = true
	sc := tfevents.NewScanner(r)
	sc.Name = name
	sc.Damaged = func(*tfevents.Damage) error { only = false; return nil }
	var ev tbpb.Event
	for sc.Scan() {
		if err := proto.Unmarshal(sc.Record(), &ev); err != nil {
			sc.Report(tfevents.Damage{Kind: tfevents.InvalidEvent, Err: err})
			continue
		}
		switch what := ev.What.(type) {
		case *tbpb.Event_FileVersion:
		case *tbpb.Event_Summary:
			for _, v := range what.Summary.Value {
				if v.Tag != ExperimentTag || v.GetMetadata().GetPluginData().GetPluginName() != PluginHParams {
					only = false
					continue
				}
				var pd hparamspb.HParamsPluginData
				if err := proto.Unmarshal(v.Metadata.PluginData.Content, &pd); err != nil || pd.GetExperiment() == nil {
					return nil, false, fmt.Errorf("summary: %s: %s at step %d is not an experiment", name, ExperimentTag, ev.Step)
				}
				exps = append(exps, pd.GetExperiment())
			}
		default:
			only = false
		}
	}
	if err := sc.Err(); err != nil {
		return nil, false, fmt.Errorf("summary: reading the logdir root: %w", err)
	}
	return exps, only, nil
}

// mergeExperiments returns the union of two declarations, b's names and
// descriptions taking precedence; see WriteExperiment.
func mergeExperiments(a, b *hparamspb.Experiment) (*hparamspb.Experiment, error) {
	m := &hparamspb.Experiment{
		Name:            firstNonEmpty(b.Name, a.Name),
		Description:     firstNonEmpty(b.Description, a.Description),
		User:            firstNonEmpty(b.User, a.User),
		TimeCreatedSecs: a.TimeCreatedSecs,
	}
	if m.TimeCreatedSecs == 0 {
		m.TimeCreatedSecs = b.TimeCreatedSecs
	}
	infos := map[string]*hparamspb.HParamInfo{}
	for _, h := range b.HparamInfos {
		infos[h.Name] = h
	}
	for _, h := range a.HparamInfos {
		h = proto.Clone(h).(*hparamspb.HParamInfo)
		if n, ok := infos[h.Name]; ok {
			if err := mergeHParam(h, n); err != nil {
				return nil, err
			}
			delete(infos, h.Name)
		}
		m.HparamInfos = append(m.HparamInfos, h)
	}
	for _, h := range b.HparamInfos {
		if _, ok := infos[h.Name]; ok {
			m.HparamInfos = append(m.HparamInfos, proto.Clone(h).(*hparamspb.HParamInfo))
		}
	}
	type key struct{ group, tag string }
	metrics := map[key]*hparamspb.MetricInfo{}
	for _, x := range b.MetricInfos {
		metrics[key{x.GetName().GetGroup(), x.GetName().GetTag()}] = x
	}
	for _, x := range a.MetricInfos {
		x = proto.Clone(x).(*hparamspb.MetricInfo)
		k := key{x.GetName().GetGroup(), x.GetName().GetTag()}
		if n, ok := metrics[k]; ok {
			x.DisplayName = firstNonEmpty(n.DisplayName, x.DisplayName)
			x.Description = firstNonEmpty(n.Description, x.Description)
			if n.DatasetType != hparamspb.DatasetType_DATASET_UNKNOWN {
				x.DatasetType = n.DatasetType
			}
			delete(metrics, k)
		}
		m.MetricInfos = append(m.MetricInfos, x)
	}
	for _, x := range b.MetricInfos {
		if _, ok := metrics[key{x.GetName().GetGroup(), x.GetName().GetTag()}]; ok {
			m.MetricInfos = append(m.MetricInfos, proto.Clone(x).(*hparamspb.MetricInfo))
		}
	}
	return m, nil
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// mergeHParam widens a's declaration to cover b's.
func mergeHParam(a, b *hparamspb.HParamInfo) error {
	a.DisplayName = firstNonEmpty(b.DisplayName, a.DisplayName)
	a.Description = firstNonEmpty(b.Description, a.Description)
	switch {
	case b.Type == hparamspb.DataType_DATA_TYPE_UNSET:
		return nil
	case a.Type == hparamspb.DataType_DATA_TYPE_UNSET:
		a.Type, a.Domain = b.Type, b.Domain
	case a.Type != b.Type:
		return fmt.Errorf("summary: hparam %q was declared with %v values, now with %v values",
			a.Name, HParamType(a.Type), HParamType(b.Type))
	case a.Domain == nil || b.Domain == nil:
		a.Domain = nil // AnyOf absorbs the other
	default:
		ad, adOK := a.Domain.(*hparamspb.HParamInfo_DomainDiscrete)
		bd, bdOK := b.Domain.(*hparamspb.HParamInfo_DomainDiscrete)
		if adOK && bdOK {
			list := proto.Clone(ad.DomainDiscrete).(*structpb.ListValue)
			for _, v := range bd.DomainDiscrete.Values {
				if !slices.ContainsFunc(list.Values, func(x *structpb.Value) bool { return proto.Equal(x, v) }) {
					list.Values = append(list.Values, v)
				}
			}
			a.Domain = &hparamspb.HParamInfo_DomainDiscrete{DomainDiscrete: list}
			break
		}
		// Numbers: an interval covering both.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, info := range []*hparamspb.HParamInfo{a, b} {
			switch d := info.Domain.(type) {
			case *hparamspb.HParamInfo_DomainDiscrete:
				for _, v := range d.DomainDiscrete.Values {
					lo, hi = min(lo, v.GetNumberValue()), max(hi, v.GetNumberValue())
				}
			case *hparamspb.HParamInfo_DomainInterval:
				lo, hi = min(lo, d.DomainInterval.MinValue), max(hi, d.DomainInterval.MaxValue)
			}
		}
		a.Domain = &hparamspb.HParamInfo_DomainInterval{DomainInterval: &hparamspb.Interval{MinValue: lo, MaxValue: hi}}
	}
	a.Differs = differs(a)
	return nil
}
