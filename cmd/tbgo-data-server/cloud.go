//go:build !tbgo_nocloud

package main

// Logdirs in object stores: s3://, gs://, azblob:// and mem:// URLs. The
// tag tbgo_nocloud leaves the drivers out (see the package documentation).
import _ "github.com/tbgo/tbgo/storage/cloud"
