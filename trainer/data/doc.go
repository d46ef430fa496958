// Package data provides the datasets the trainer learns from and the
// preprocessing the seed article and docs/DIAGNOSTICS.md ask for: the embedded
// UCI digits, synthetic problems with an imbalance knob, a CSV loader for
// your own data, train-only standardisation, per-batch centring for time
// series, stratified splits, class weights and balanced sampling, and image
// distortions for augmentation.
//
// # Datasets
//
// A Dataset holds N samples in memory: X is an N×D gonum matrix with one
// sample per row, and either Y holds class labels in [0, Classes)
// (classification) or Targets an N×T matrix (regression). Shape is one
// sample's shape: C channels of H×W pixels stored in CHW order, or
// Vector(D) = {D, 1, 1} for a plain feature vector. Validate checks that the
// fields agree and that every value is finite, and names the first bad row
// and column; run it (or let the trainer run it) before training, so NaN
// in the data is an error, not a diverging loss.
//
//	d, err := data.Digits()
//	if err != nil { ... }
//	train, val, _, err := d.Split(data.SplitOptions{Val: 0.2, Seed: 1})
//	if err != nil { ... }
//	data.Standardize(train, val) // fitted on train only
//
// # The digits
//
// Digits returns the UCI optical handwritten digits embedded in the
// binary: 1,797 grey 8×8 images of the digits 0..9 (Shape 1×8×8), pixel
// values 0..16. The data is by E. Alpaydin and C. Kaynak, "Optical
// Recognition of Handwritten Digits" (1998), UCI Machine Learning
// Repository, https://doi.org/10.24432/C50P49, licensed under CC BY 4.0;
// the embedded file is the copy scikit-learn 1.9.1 ships as
// sklearn/datasets/data/digits.csv.gz, unchanged. The attribution travels
// in Dataset.Source (DigitsSource); show it wherever the data is shown.
// fetch_digits.sh beside this file reproduces the file from PyPI and
// checks its SHA-256; ATTRIBUTION.md records the provenance.
//
// # Synthetic data
//
// Spirals, XOR, Blobs and Sine make small problems from a seed (the same
// options give the same data, bit for bit). The classification generators
// take an Imbalance knob, the ratio of the largest class to the smallest
// (ClassSizes): Spirals with Imbalance 20 gives one arm 1/20th of the
// other's samples, the class imbalance of docs/DIAGNOSTICS.md rule 17. Sine
// cuts windows from a noisy sine series, optionally with an offset and a
// drift, and predicts the next value.
//
// # Your own data
//
// LoadCSV reads a CSV file with numeric features and a label column (the
// last by default, or chosen by name or position; CSVOptions). Labels are
// integers 0..K-1, or with StringLabels any names, which become classes in
// sorted order (or in the order of ClassNames, to keep two files
// consistent). Every problem is an error before training starts, naming
// file, line and field, for example
//
//	data: iris.csv:17:3 (column "petal_length"): not a number: "n/a"
//	data: iris.csv:40: ragged row: 4 fields, want 5 as on the first line
//	data: iris.csv:52:5 (column "label"): bad label: 3 outside [0, 3)
//
// and wraps one of ErrEmpty, ErrRagged, ErrNotNumber, ErrNonFinite,
// ErrLabel or ErrInvalid for errors.Is.
//
// # Preprocessing
//
// Inputs should be centred and scaled (rule 11): Describe measures the
// per-feature mean, std and raw range; FitStandardizer and FitCenterer fit
// a Scaler on the training split only, which is then applied unchanged to
// the validation and test splits (Standardize and Center do both steps).
// Fitting on all the data would leak held-out statistics into training. A
// constant feature, such as a digits pixel that is blank in every training
// image, is centred but not divided by its zero std, so it stays finite
// (exactly 0 on the training split).
//
// Time series are centred per batch, not globally (the seed article):
// CenterBatch subtracts a batch's own per-feature means, and CenterWindows
// subtracts each window's own level from the window and its target, which
// removes a drift. Both work in place on the batch and allocate nothing.
//
// # Splits and class balance
//
// Dataset.Split and SplitIndices make a seeded train/validation/test split,
// stratified by class so each split keeps the class proportions, or in
// order for time series (SplitOptions.Ordered). ClassCounts and
// ImbalanceRatio (largest over smallest class) measure rule 17; the
// remedies are ClassWeights for the loss (inverse frequency, averaging 1
// over the samples) or a BalancedSampler, which draws classes uniformly.
//
// # Augmentation
//
// An Augmenter distorts batches of CHW image rows for training: random
// integer shifts with zero fill, small bilinear rotations and additive
// Gaussian noise (Distortion), seeded, into a destination matrix without
// allocating. Shift and Rotate are the single-image building blocks.
//
// # Errors and panics
//
// Bad data and bad options are returned errors. Sizes that do not fit
// together in a call (a Scaler applied to a matrix of another width, an
// Augmenter given a batch of another shape) are programmer errors and
// panic with a ShapeError, as gonum's mat does.
package data
