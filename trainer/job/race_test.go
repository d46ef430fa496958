//go:build race

package job

// raceBuild is true under the race detector, which makes the heaviest
// tests run a representative slice (scripts/test.sh runs them whole
// without it).
const raceBuild = true
