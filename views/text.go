package views

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/trustly-cashier/cashier/lang"
)

// text is a string shown as an element's text, escaped exactly as templ escapes
// a { expression } (templ.EscapeString). The frame and the cashier page, which
// every signed-in request renders, write their words with @text(…) instead:
// templ passes each { expression } through templ.JoinStringErrs, a fmt.Sprint
// and two allocations per expression, ≈ 40 on the cashier page. A concrete type
// rather than a templ.ComponentFunc, so that calling it allocates nothing.
type text string

// Render writes t escaped.
func (t text) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, templ.EscapeString(string(t)))
	return err
}

// languageOptionsHTML is languageOptions(code) as templ renders it, kept for each
// of lang.Languages: markup made of the cashier's own constants, escaped by templ
// once instead of on every page (ten attributes, twenty allocations a page).
func languageOptionsHTML(code string) string {
	if s, ok := languageOptionsRendered()[code]; ok {
		return s
	}
	return renderString(languageOptions(code))
}

var languageOptionsRendered = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(lang.Languages))
	for _, l := range lang.Languages {
		m[l.Code] = renderString(languageOptions(l.Code))
	}
	return m
})

// renderString is c rendered; c must be one that cannot fail (no I/O, no data).
func renderString(c templ.Component) string {
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		panic(err)
	}
	return b.String()
}
