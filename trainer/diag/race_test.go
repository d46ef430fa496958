//go:build race

package diag

const raceBuild = true
