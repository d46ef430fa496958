package data

import (
	"bytes"
	"compress/gzip"
	_ "embed" // for digits.csv.gz
	"fmt"
	"strconv"
)

// digitsGz is sklearn/datasets/data/digits.csv.gz from the scikit-learn
// 1.9.1 wheel; fetch_digits.sh reproduces it and ATTRIBUTION.md credits it.
//
//go:embed digits.csv.gz
var digitsGz []byte

// digitsSHA256 is the SHA-256 of digitsGz, as fetch_digits.sh checks it.
const digitsSHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"

// Sizes of the embedded digits set.
const (
	DigitsSamples = 1797 // rows
	DigitsSide    = 8    // images are DigitsSide×DigitsSide
	DigitsClasses = 10   // digits 0..9
	DigitsMax     = 16   // pixel values are integers 0..DigitsMax
)

// DigitsSource is the attribution carried in the Source field of the
// dataset Digits returns. The CC BY 4.0 licence asks for it wherever the
// data is shown or redistributed.
const DigitsSource = `E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits" (1998), ` +
	`UCI Machine Learning Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0 ` +
	`(https://creativecommons.org/licenses/by/4.0/); the 1,797-sample copy shipped in ` +
	`scikit-learn 1.9.1 as sklearn/datasets/data/digits.csv.gz, unchanged`

// Digits returns the UCI optical handwritten digits embedded in the
// binary: 1,797 grey 8×8 images (Shape 1×8×8) of the digits 0..9, pixel
// values 0..16 as float64, not centred or scaled (see FitStandardizer).
// Feature names are "pixel_<row>_<col>" and class names "0".."9"; Source
// holds the attribution the CC BY 4.0 licence requires.
//
// Each call parses a fresh copy, a few milliseconds, so callers may modify
// the result. An error means the embedded file is damaged, which the
// package's tests rule out.
func Digits() (*Dataset, error) {
	zr, err := gzip.NewReader(bytes.NewReader(digitsGz))
	if err != nil {
		return nil, fmt.Errorf("data: embedded digits.csv.gz: %w", err)
	}
	defer zr.Close()
	d, err := ReadCSV(zr, "digits.csv.gz", &CSVOptions{
		Header:  HeaderAbsent,
		Classes: DigitsClasses,
	})
	if err != nil {
		return nil, err
	}
	if n, dim := d.X.Dims(); n != DigitsSamples || dim != DigitsSide*DigitsSide {
		return nil, fmt.Errorf("data: embedded digits.csv.gz: %d×%d features, want %d×%d: %w",
			n, dim, DigitsSamples, DigitsSide*DigitsSide, ErrInvalid)
	}
	d.Name = "digits"
	d.Shape = Shape{C: 1, H: DigitsSide, W: DigitsSide}
	d.Source = DigitsSource
	d.ClassNames = make([]string, DigitsClasses)
	for c := range d.ClassNames {
		d.ClassNames[c] = strconv.Itoa(c)
	}
	d.FeatureNames = make([]string, 0, DigitsSide*DigitsSide)
	for i := 0; i < DigitsSide; i++ {
		for j := 0; j < DigitsSide; j++ {
			d.FeatureNames = append(d.FeatureNames, "pixel_"+strconv.Itoa(i)+"_"+strconv.Itoa(j))
		}
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}
