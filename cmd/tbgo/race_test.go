//go:build race

package main

// raceBuild is true under the race detector, which makes the heaviest tests
// run smaller (scripts/test.sh also runs them at full size without it).
const raceBuild = true
