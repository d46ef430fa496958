//go:build !(linux || darwin)

package main

import "os"

// ttyWidth returns 0: the terminal's width is not known here.
func ttyWidth(*os.File) int { return 0 }
