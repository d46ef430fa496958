//go:build !race

package job

const raceBuild = false
