//go:build !unix

package runinfo

// processCPUSeconds is not available here; the sampler then leaves out the
// CPU tags.
func processCPUSeconds() (float64, bool) { return 0, false }

// residentBytes is not available here; the sampler then logs the memory
// the Go runtime has mapped.
func residentBytes() (float64, bool) { return 0, false }
