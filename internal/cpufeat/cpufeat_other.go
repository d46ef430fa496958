//go:build !amd64

package cpufeat

func detect() set { return set{} }
