// Package compat is tbgo's cross-language compatibility suite: it writes a
// logdir with every kind of summary and known values, has real TensorBoard
// read it through both of its loaders (the Python EventMultiplexer and the
// Rust data server, directly and over TensorBoard's HTTP API), and asserts
// every value. It also reads a logdir written by tensorboardX with tbgo's
// reader and decoder, and shows that a record with a bad data checksum is
// refused by TensorBoard and by tbgo alike.
//
// Everything but this file is built only with the compat build tag:
//
//	scripts/setup.sh                  # Go modules and .venv with TensorBoard
//	go test -tags compat ./compat/...
//
// The Python virtual environment is $TBGO_VENV, or .venv at the repository
// root. With the tag, a missing environment or a TensorBoard that does not
// start fails the tests; nothing is skipped.
package compat
