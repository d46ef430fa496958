package main

// serve and board read logdirs in object stores: s3://, gs://, azblob://
// and mem:// URLs.
import _ "github.com/tbgo/tbgo/storage/cloud"
