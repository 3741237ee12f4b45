// Package static holds the cashier's stylesheets, images and the little JavaScript
// the pages need, embedded in the binary. Pages link to them through Path, whose
// content hash lets browsers cache each version for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

// FS holds the files under css/, js/ and img/.
//
//go:embed css js img
var FS embed.FS

// paths holds Path's answer for each embedded file, made once: every page links
// to a few of them.
var paths = sync.OnceValue(func() map[string]string {
	v := map[string]string{}
	fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v[name] = "/static/" + name + "?v=" + hex.EncodeToString(sum[:6])
		return nil
	})
	return v
})

// Path is the URL of the file name ("css/app.css") with its content hash as the
// version: "/static/css/app.css?v=1a2b3c4d5e6f". A name that is not embedded gets
// no version, and its request ends in 404.
func Path(name string) string {
	if p, ok := paths()[name]; ok {
		return p
	}
	return "/static/" + name
}
