// Command tbgo-data-server-cloud is tbgo-data-server with the
// object-store drivers linked in (package
// github.com/tbgo/tbgo/storage/cloud: s3://, gs://, azblob:// and, for
// tests, mem://). Its command line, exit statuses and startup order are
// tbgo-data-server's; see that command's documentation for the manual.
//
// tbgo-data-server, the program TensorBoard launches, links no driver:
// the AWS, Google and Azure SDKs that the drivers bring make a binary four
// times larger, and Go initialises every linked package at startup, which
// touches 25-30 MB of their code: about what the data server needs to
// serve a 2 GB local logdir, and enough to lose its goal of using half
// the memory of TensorBoard's own data server. So tbgo-data-server, given
// a logdir URL that needs a driver, replaces itself with this program,
// found beside it or on PATH, with the same arguments; the bucket's
// logdir is served at this program's memory cost, local ones without it.
// It can also be run directly:
//
//	tbgo-data-server-cloud --logdir 's3://bucket/runs?region=eu-west-1' --port 6806
//
// It never hands a logdir on: a URL that none of its drivers handles
// ends it with exit status 8. Install it with tbgo-data-server (every
// tbgo command):
//
//	go install github.com/tbgo/tbgo/cmd/...@latest
package main

import (
	"os"

	"github.com/tbgo/tbgo/dataserver/launch"
	_ "github.com/tbgo/tbgo/storage/cloud" // the point of this program
)

func main() {
	cmd := &launch.Command{Name: "tbgo-data-server-cloud"}
	os.Exit(cmd.Main())
}
