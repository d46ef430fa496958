package summary

import (
	"fmt"
	"unicode/utf8"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// TextValue returns a text summary value holding one Markdown document: a
// rank-0 DT_STRING tensor with text metadata and data class TENSOR.
// TensorBoard renders Markdown with tables and fenced code.
func TextValue(tag, markdown string, m Meta) (*tbpb.Summary_Value, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	if !utf8.ValidString(markdown) {
		return nil, fmt.Errorf("summary: text %q is not valid UTF-8", tag)
	}
	return textValue(tag, m, shape(), [][]byte{[]byte(markdown)}), nil
}

// TableValue returns a text summary value that TensorBoard shows as a
// table: a rank-2 DT_STRING tensor, one row per element of rows. Every row
// must have the same number of cells; each cell is rendered as Markdown.
// TensorBoard draws no header row, so put headings in the first row.
func TableValue(tag string, rows [][]string, m Meta) (*tbpb.Summary_Value, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, fmt.Errorf("summary: table %q has no cells", tag)
	}
	cols := len(rows[0])
	cells := make([][]byte, 0, len(rows)*cols)
	for i, row := range rows {
		if len(row) != cols {
			return nil, fmt.Errorf("summary: table %q: row %d has %d cells, row 0 has %d", tag, i, len(row), cols)
		}
		for j, cell := range row {
			if !utf8.ValidString(cell) {
				return nil, fmt.Errorf("summary: table %q: cell (%d, %d) is not valid UTF-8", tag, i, j)
			}
			cells = append(cells, []byte(cell))
		}
	}
	return textValue(tag, m, shape(int64(len(rows)), int64(cols)), cells), nil
}

func textValue(tag string, m Meta, s *tbpb.TensorShapeProto, cells [][]byte) *tbpb.Summary_Value {
	return &tbpb.Summary_Value{
		Tag:      tag,
		Metadata: metadata(PluginText, nil, tbpb.DataClass_DATA_CLASS_TENSOR, m),
		Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
			Dtype:       tbpb.DataType_DT_STRING,
			TensorShape: s,
			StringVal:   cells,
		}},
	}
}
