//go:build !race

package diag

const raceBuild = false
