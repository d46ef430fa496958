package tfevents

import (
	"errors"
	"os"
	"testing"
)

// TestFlushFsyncs shows that Flush calls fsync exactly when FileOptions.Fsync
// is set: with nothing buffered, Flush touches the file only through
// fsync, so once the file is closed under the Writer only an fsyncing Flush
// fails.
func TestFlushFsyncs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc    string
		fsync   bool
		wantErr error
	}{
		{desc: "Fsync set", fsync: true, wantErr: os.ErrClosed},
		{desc: "Fsync unset", fsync: false, wantErr: nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			w, err := CreateFile(t.TempDir(), &FileOptions{Fsync: tc.fsync})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.file.Close(); err != nil {
				t.Fatal(err)
			}
			err = w.Flush()
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Flush = %v, want %v", err, tc.wantErr)
			}
		})
	}
}
