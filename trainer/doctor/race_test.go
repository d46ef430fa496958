//go:build race

package doctor

const raceBuild = true
