// Package media holds the codecs the summary writer encodes images, videos
// and audio with: a PNG encoder that reuses its state, an animated-GIF
// encoder with its own palette quantiser, and a 16-bit PCM WAV encoder and
// decoder. It uses the standard library only, so logging an image costs a
// program no dependency.
//
// Errors say what is wrong without naming a package: callers wrap them with
// what they were encoding, as in `summary: audio "tag": clip 2: no samples`.
// ErrImageSize is wrapped by every error about an image's size.
package media
