package main

import (
	"net/url"
	"strings"

	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud" // s3://, gs://, azblob:// and mem:// wherever a path goes
)

// tensorboardCommand returns the command line that opens logdir, a path
// or a URL, in TensorBoard. TensorBoard reads s3:// through its own S3
// support (boto3), which takes the endpoint and region from the
// environment, not from the URL: they move to S3_ENDPOINT and
// AWS_REGION, and the URL keeps the bucket and prefix. Credentials stay
// where they are (the AWS variables or files), never on the line.
func tensorboardCommand(logdir string) string {
	if !storage.IsURL(logdir) {
		return "tensorboard --logdir " + shellQuote(logdir)
	}
	if local, ok := storage.Local(logdir); ok {
		return "tensorboard --logdir " + shellQuote(local)
	}
	u, err := url.Parse(logdir)
	if err != nil {
		return "tensorboard --logdir " + shellQuote(storage.Display(logdir))
	}
	var env []string
	if strings.EqualFold(u.Scheme, "s3") {
		q := u.Query()
		if e := q.Get("endpoint"); e != "" {
			env = append(env, "S3_ENDPOINT="+shellQuote(e))
		}
		if r := q.Get("region"); r != "" {
			env = append(env, "AWS_REGION="+shellQuote(r))
		}
	}
	cmd := "tensorboard --logdir " + shellQuote(storage.Display(logdir))
	if strings.EqualFold(u.Scheme, "mem") {
		cmd += "   # mem:// lives in the tbgo process only"
	}
	return strings.Join(append(env, cmd), " ")
}
