package views

import (
	"context"
	"io"

	"github.com/a-h/templ"
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
