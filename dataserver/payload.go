package dataserver

import (
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// recordHeader is the length of a TFRecord's header (the data's length and
// its checksum): a record's data starts this far into it.
const recordHeader = 12

// errGone is wrapped by fetch's errors: a value whose record can no
// longer be read as it was (its file closed, truncated or rewritten).
var errGone = errors.New("the record is no longer in its file")

// rereads reports whether the points of a series of class that ef holds
// are read again from ef when an RPC asks for them, rather than held in
// memory: those of every class but scalars, if ef can be read at an
// offset. A bucket's object, where every such read is a request, rereads
// blob sequences only (a ReadBlob asks for one value, a ReadTensors for a
// series at once) and holds tensors, as TensorBoard's data server holds
// everything.
func (ef *eventFile) rereads(class tbpb.DataClass) bool {
	if ef.f == nil || class == tbpb.DataClass_DATA_CLASS_SCALAR {
		return false
	}
	if ef.remote {
		return class == tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE
	}
	_, ok := ef.f.(io.ReaderAt)
	return ok
}

// readAt reads size bytes at off and checks them against crc. An
// *os.File or a bucket's object reads at an offset concurrently with its
// Scanner; any other file (an archive's) is read through a second handle
// of its own, one read at a time.
func (ef *eventFile) readAt(off int64, size, crc uint32) ([]byte, error) {
	buf := make([]byte, size)
	var ra io.ReaderAt
	if _, ok := ef.f.(*os.File); ok || ef.remote {
		ra, _ = ef.f.(io.ReaderAt)
	}
	if ra != nil {
		if _, err := ra.ReadAt(buf, off); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errGone, ef.name, err)
		}
	} else {
		ef.raMu.Lock()
		if ef.ra == nil {
			f, err := ef.fsys.Open(ef.name)
			if err == nil {
				ef.ra = f
			}
		}
		ra, _ := ef.ra.(io.ReaderAt)
		var err error
		if ra == nil {
			err = errors.New("cannot be read at an offset")
		} else {
			_, err = ra.ReadAt(buf, off)
		}
		ef.raMu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errGone, ef.name, err)
		}
	}
	if tfevents.MaskedCRC(buf) != crc {
		return nil, fmt.Errorf("%w: %s: offset %d: checksum mismatch", errGone, ef.name, off)
	}
	return buf, nil
}

// fetch returns the value of a point of series ts (tag) that p holds or
// locates, reading and converting its record again for the latter.
func fetch(tag string, ts *series, p payload) (*held, error) {
	if p.src == nil {
		return p.mem, nil
	}
	data, err := p.src.readAt(p.off, p.size, p.crc)
	if err != nil {
		return nil, err
	}
	var ev tbpb.Event
	if err := proto.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("%w: %v", errGone, err)
	}
	// Values that left their metadata to the series' first are decoded
	// with the series', as they were when loaded.
	for _, sv := range ev.GetSummary().GetValue() {
		if sv.Metadata == nil {
			sv.Metadata = ts.meta
		}
	}
	var dec summary.Decoder
	vals, _ := dec.Event(nil, &ev)
	for i := len(vals) - 1; i >= 0; i-- {
		if vals[i].Tag != tag {
			continue
		}
		if pt := convert(&vals[i], ts.class, ts.plugin, true); !pt.bad {
			return pt.value.mem, nil
		}
		break
	}
	return nil, fmt.Errorf("%w: %s: offset %d holds no value of %q", errGone, p.src.name, p.off, tag)
}
