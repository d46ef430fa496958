package summary

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// Plugin names, as TensorBoard's dashboards know them.
const (
	PluginScalars    = "scalars"
	PluginHistograms = "histograms"
	PluginImages     = "images"
	PluginAudio      = "audio"
	PluginText       = "text"
)

// ErrEmptyTag is returned for a value with an empty tag.
var ErrEmptyTag = errors.New("summary: empty tag")

// checkTag returns an error naming the problem when tag cannot be a
// TensorBoard tag.
func checkTag(tag string) error {
	if tag == "" {
		return ErrEmptyTag
	}
	if !utf8.ValidString(tag) {
		return fmt.Errorf("summary: tag %q is not valid UTF-8", tag)
	}
	return nil
}

// Meta is what a time series shows besides its data: a title that replaces
// the tag in the dashboard and a Markdown description. The zero Meta shows
// the tag and no description.
type Meta struct {
	DisplayName string
	Description string
}

// metadata returns the SummaryMetadata for a value of plugin with content
// (a serialized plugin proto, usually empty) and the data class.
func metadata(plugin string, content []byte, class tbpb.DataClass, m Meta) *tbpb.SummaryMetadata {
	return &tbpb.SummaryMetadata{
		PluginData:         &tbpb.SummaryMetadata_PluginData{PluginName: plugin, Content: content},
		DisplayName:        m.DisplayName,
		SummaryDescription: m.Description,
		DataClass:          class,
	}
}

// marshalContent serializes a plugin-data message; version-0 messages with
// default fields serialize to no bytes at all, as TensorBoard writes them.
func marshalContent(m proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		// Plugin-data messages hold only scalars; marshalling cannot fail.
		panic(fmt.Sprintf("summary: marshal %T: %v", m, err))
	}
	return b
}

// shape returns a TensorShapeProto with the given dims.
func shape(dims ...int64) *tbpb.TensorShapeProto {
	s := &tbpb.TensorShapeProto{}
	for _, d := range dims {
		s.Dim = append(s.Dim, &tbpb.TensorShapeProto_Dim{Size: d})
	}
	return s
}
