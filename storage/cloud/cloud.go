// Package cloud gives tbgo's storage seam its object-store drivers, from
// gocloud.dev/blob: importing it, usually for its side effect,
//
//	import _ "github.com/tbgo/tbgo/storage/cloud"
//
// makes storage.Open (and so every tbgo reader and writer that takes a
// location) accept
//
//   - s3://bucket/prefix — AWS S3 and S3-compatible servers. The query sets
//     region, endpoint, use_path_style, disable_https, profile,
//     request_checksum_calculation and the other keys of gocloud.dev's
//     s3blob; credentials come from the standard AWS chain (environment
//     variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
//     AWS_REGION, AWS_PROFILE, shared files, instance roles). For a server
//     such as versitygw or MinIO:
//     s3://b/runs?endpoint=http://127.0.0.1:7070&use_path_style=true&region=us-east-1
//   - gs://bucket/prefix — Google Cloud Storage, with Application Default
//     Credentials. For an emulator, set STORAGE_EMULATOR_HOST and add
//     anonymous=true to the query (tbgo's tests use fake-gcs-server:
//     internal/gcstest, scripts/gcsserver.sh).
//   - azblob://container/prefix — Azure Blob Storage, with AZURE_STORAGE_*
//     variables or the default Azure credential.
//   - mem://name/prefix — an in-memory bucket, shared by every Open of the
//     same name in the process, for tests.
//
// The package is separate so that a program that logs to local disk only
// links none of the cloud SDKs: the storage package itself depends on
// none. A program that opens its own *blob.Bucket (with the drivers it
// wants) wraps it with New.
//
// # Guarantees per store
//
// Create-only writes (every event segment) use the store's own
// precondition: S3 If-None-Match: * (AWS since August 2024; S3-compatible
// servers vary, versitygw and SeaweedFS honour it), GCS
// ifGenerationMatch=0, Azure If-None-Match: *. Conditional replaces
// (storage.Update) use S3 If-Match on the ETag (AWS since November 2024),
// GCS ifGenerationMatch on the generation, Azure If-Match on the ETag.
// mem:// emulates both under a lock, so they hold within one process only.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gcs "cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	"gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob" // s3://
	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/storage/internal/secret"
)

func init() {
	for _, scheme := range []string{"s3", "gs", "azblob"} {
		storage.Register(scheme, openURL)
	}
	storage.Register("mem", mem.open)
}

// openURL opens the bucket of u through gocloud.dev's URL mux: u's host
// names the bucket, its path the key prefix, its query the driver's
// options. gocloud.dev's errors quote the URL, secrets and all:
// storage.Open shows only the part of them that does not.
func openURL(ctx context.Context, u *url.URL) (storage.Bucket, string, error) {
	if u.User != nil {
		return nil, "", fmt.Errorf("credentials do not go in the URL: the %s driver takes them from its environment", u.Scheme)
	}
	v := *u
	v.Path, v.RawPath = "", ""
	b, err := blob.OpenBucket(ctx, v.String())
	if err != nil {
		return nil, "", err
	}
	nb := newBucket(b)
	nb.name = u.Scheme + "://" + u.Host
	nb.secrets = append(nb.secrets, secret.Of(u)...)
	return nb, strings.Trim(u.Path, "/"), nil
}

// credentialVars are the environment variables whose values the drivers
// send as credentials. Azure puts a SAS token into every request's URL,
// which the errors of a failed connection quote: errors must show none.
var credentialVars = []string{
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_CLIENT_SECRET",
	"AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGEBLOB_CONNECTIONSTRING",
}

// envSecrets returns the secrets of the credentials in the environment:
// each variable's value, the secret parameters of a SAS token, the
// AccountKey and SharedAccessSignature of a connection string.
func envSecrets() []string {
	var s []string
	for _, k := range credentialVars {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		s = append(s, v)
		if k == "AZURE_STORAGE_SAS_TOKEN" {
			s = append(s, secret.OfQuery(strings.TrimPrefix(v, "?"))...)
		}
		if strings.HasSuffix(k, "CONNECTION_STRING") || strings.HasSuffix(k, "CONNECTIONSTRING") {
			for _, part := range strings.Split(v, ";") {
				name, val, _ := strings.Cut(part, "=")
				if secret.IsName(name) || strings.EqualFold(name, "SharedAccessSignature") {
					s = append(s, val)
					s = append(s, secret.OfQuery(val)...)
				}
			}
		}
	}
	return s
}

// mem holds the in-memory buckets of mem:// URLs by name, so that a
// writer and a reader in one process (a test) meet in the same bucket.
var mem = memBuckets{m: map[string]*blob.Bucket{}}

type memBuckets struct {
	sync.Mutex
	m map[string]*blob.Bucket
}

func (mb *memBuckets) open(ctx context.Context, u *url.URL) (storage.Bucket, string, error) {
	if len(u.Query()) > 0 {
		return nil, "", errors.New("a mem URL takes no query parameters")
	}
	mb.Lock()
	defer mb.Unlock()
	b := mb.m[u.Host]
	if b == nil {
		b = memblob.OpenBucket(nil)
		mb.m[u.Host] = b
	}
	// Closing one Store must not empty the bucket for the others.
	return &bucket{b: b, kind: emulated, shared: true, name: "mem://" + u.Host}, strings.Trim(u.Path, "/"), nil
}

// kind is how a store does conditional replaces.
type kind int

const (
	emulated kind = iota // compare and write under emulatedCAS: one process only
	s3Kind
	gcsKind
	azureKind
)

// emulatedCAS serializes the emulated conditional replaces of the
// process, as gocloud.dev's fileblob serializes its create-only writes.
var emulatedCAS sync.Mutex

// bucket is a storage.Bucket over a *blob.Bucket.
type bucket struct {
	b       *blob.Bucket
	kind    kind
	shared  bool     // a mem:// bucket: Close leaves it open
	name    string   // the bucket's URL, "s3://name", if known: errors name keys below it
	secrets []string // what errors must not show
}

// New returns a storage.Bucket over b; closing it closes b. Its errors
// name objects by their keys, and show none of the credentials that the
// drivers take from the environment.
func New(b *blob.Bucket) storage.Bucket { return newBucket(b) }

func newBucket(b *blob.Bucket) *bucket {
	k := emulated
	var s3c *s3.Client
	var gc *gcs.Client
	var ac *container.Client
	switch {
	case b.As(&s3c):
		k = s3Kind
	case b.As(&gc):
		k = gcsKind
	case b.As(&ac):
		k = azureKind
	}
	return &bucket{b: b, kind: k, secrets: envSecrets()}
}

func (b *bucket) List(ctx context.Context, prefix string, recursive bool, fn func(storage.Object) error) error {
	opts := &blob.ListOptions{Prefix: prefix}
	if !recursive {
		opts.Delimiter = "/"
	}
	it := b.b.List(opts)
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return b.mapErr(err, prefix)
		}
		if err := fn(storage.Object{Key: o.Key, Size: o.Size, ModTime: modTime(o.ModTime), IsDir: o.IsDir}); err != nil {
			return err
		}
	}
}

func (b *bucket) Stat(ctx context.Context, key string) (storage.Object, error) {
	a, err := b.b.Attributes(ctx, key)
	if err != nil {
		return storage.Object{}, b.mapErr(err, key)
	}
	obj := storage.Object{Key: key, Size: a.Size, ModTime: modTime(a.ModTime), Version: storage.Version(a.ETag)}
	if b.kind == gcsKind {
		var oa gcs.ObjectAttrs
		if a.As(&oa) {
			obj.Version = storage.Version(strconv.FormatInt(oa.Generation, 10))
		}
	}
	return obj, nil
}

func (b *bucket) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.Object, error) {
	r, err := b.b.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		if offset > 0 {
			// S3 and GCS answer a range starting at the end with 416,
			// which gocloud.dev reports as an unknown error: an empty
			// read. A follower asks that of the newest object of each
			// run at every look, so the status alone answers, without
			// a HEAD; a driver that gives none is asked for the size.
			if httpStatus(err) == http.StatusRequestedRangeNotSatisfiable {
				return io.NopCloser(strings.NewReader("")), storage.Object{Key: key, Size: offset}, nil
			}
			if obj, serr := b.Stat(ctx, key); serr == nil && offset >= obj.Size {
				return io.NopCloser(strings.NewReader("")), obj, nil
			}
		}
		return nil, storage.Object{}, b.mapErr(err, key)
	}
	return r, storage.Object{Key: key, Size: r.Size(), ModTime: modTime(r.ModTime())}, nil
}

// modTime returns t to the second. Stores give an object's time in a
// listing or its attributes to the millisecond (S3, GCS: to the
// microsecond) but with a read only to the second (the Last-Modified
// header): one precision makes a file's Stat agree with its directory
// entry, as io/fs asks.
func modTime(t time.Time) time.Time { return t.Truncate(time.Second) }

func (b *bucket) Write(ctx context.Context, key string, data []byte, match storage.Version) error {
	opts := &blob.WriterOptions{
		ContentType: "application/octet-stream",
		// One request whatever the size, below the 5 GiB single-PUT
		// limit: a segment is published whole or not at all anyway.
		BufferSize: max(len(data)+1, 5<<20),
	}
	if match == "" {
		opts.IfNotExist = true
	} else {
		if b.kind == emulated {
			emulatedCAS.Lock()
			defer emulatedCAS.Unlock()
			obj, err := b.Stat(ctx, key)
			if err != nil {
				if errors.Is(err, storage.ErrNotExist) {
					return fmt.Errorf("%w (it was removed): %w", storage.ErrPrecondition, err)
				}
				return err
			}
			if obj.Version != match {
				return fmt.Errorf("storage: %s: %w", b.where(key), storage.ErrPrecondition)
			}
		} else {
			hook, err := ifMatch(b.kind, match)
			if err != nil {
				// No object has such a version: the condition cannot hold.
				return fmt.Errorf("storage: %s: %w: %w", b.where(key), storage.ErrPrecondition, err)
			}
			opts.BeforeWrite = hook
		}
	}
	if err := b.b.WriteAll(ctx, key, data, opts); err != nil {
		err = b.mapErr(err, key)
		if errors.Is(err, errFailedPrecondition) {
			if match == "" {
				return fmt.Errorf("%w: %w", storage.ErrExist, err)
			}
			return fmt.Errorf("%w: %w", storage.ErrPrecondition, err)
		}
		return err
	}
	return nil
}

// ifMatch returns the BeforeWrite hook that makes a write conditional on
// the object's version in each store's own terms, or an error if match
// cannot be a version of the store (a GCS generation is a number).
func ifMatch(k kind, match storage.Version) (func(func(any) bool) error, error) {
	var gen int64
	if k == gcsKind {
		var err error
		if gen, err = strconv.ParseInt(string(match), 10, 64); err != nil {
			return nil, fmt.Errorf("version %q is not a GCS generation", match)
		}
	}
	return func(as func(any) bool) error {
		switch k {
		case s3Kind:
			var in *transfermanager.UploadObjectInput
			if as(&in) {
				in.IfMatch = aws.String(string(match))
				return nil
			}
		case gcsKind:
			var h **gcs.ObjectHandle
			if as(&h) {
				*h = (*h).If(gcs.Conditions{GenerationMatch: gen})
				return nil
			}
		case azureKind:
			var o **blockblob.UploadStreamOptions
			if as(&o) {
				etag := azcore.ETag(match)
				(*o).AccessConditions = &azblobblob.AccessConditions{
					ModifiedAccessConditions: &azblobblob.ModifiedAccessConditions{IfMatch: &etag},
				}
				return nil
			}
		}
		return errors.New("the store's driver offers no conditional write")
	}, nil
}

func (b *bucket) Close() error {
	if b.shared {
		return nil
	}
	return b.b.Close()
}

// errFailedPrecondition marks a mapped error whose store refused a
// precondition; Write turns it into ErrExist or ErrPrecondition.
var errFailedPrecondition = errors.New("precondition failed")

// where names the object at key in messages.
func (b *bucket) where(key string) string {
	if b.name == "" {
		return key
	}
	return b.name + "/" + key
}

// mapErr maps a gocloud.dev error about key to the storage package's
// vocabulary. What it wraps is the outermost part of err whose message
// shows none of the bucket's secrets.
func (b *bucket) mapErr(err error, key string) error {
	if err == nil {
		return nil
	}
	shown := secret.Hide(err, b.secrets)
	kind := errKind(err)
	if kind == nil || errors.Is(shown, kind) {
		return fmt.Errorf("storage: %s: %w", b.where(key), shown)
	}
	return fmt.Errorf("storage: %s: %w: %w", b.where(key), kind, shown)
}

// errKind returns the error of the storage package's vocabulary that err
// is a case of, or nil.
func errKind(err error) error {
	for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, ctxErr) {
			return ctxErr
		}
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return storage.ErrNotExist
	case gcerrors.PermissionDenied:
		return storage.ErrPermission
	case gcerrors.FailedPrecondition:
		return errFailedPrecondition
	case gcerrors.ResourceExhausted, gcerrors.Internal, gcerrors.DeadlineExceeded:
		return storage.ErrTransient
	case gcerrors.Unknown:
		switch status := httpStatus(err); {
		case status == http.StatusForbidden || status == http.StatusUnauthorized:
			return storage.ErrPermission
		case status == http.StatusNotFound:
			return storage.ErrNotExist
		case status == http.StatusPreconditionFailed:
			return errFailedPrecondition
		case status == 0, status >= 500, status == http.StatusConflict,
			status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
			// No answer at all (a refused or dropped connection), a
			// server error, throttling, or S3's 409
			// ConditionalRequestConflict between racing writes.
			return storage.ErrTransient
		}
	}
	return nil
}

// httpStatus returns the HTTP status of a store's answer in err, or 0 if
// err carries none.
func httpStatus(err error) int {
	var aws interface{ HTTPStatusCode() int }
	if errors.As(err, &aws) {
		return aws.HTTPStatusCode()
	}
	var az *azcore.ResponseError
	if errors.As(err, &az) {
		return az.StatusCode
	}
	var g *googleapi.Error
	if errors.As(err, &g) {
		return g.Code
	}
	return 0
}
