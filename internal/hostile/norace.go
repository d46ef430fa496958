//go:build !race

package hostile

// Race reports whether the race detector is on. It multiplies memory and
// time several times over: RunChild then multiplies its limits by ten,
// and a suite that measures may rather skip.
const Race = false
