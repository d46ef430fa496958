//go:build !race

package doctor

const raceBuild = false
