package views

import (
	"context"
	"io"

	"github.com/a-h/templ"
	"github.com/trustly-cashier/cashier/static"
)

// The elements below are written in Go rather than in templ because the frame
// and the cashier page, which every signed-in request renders, repeat them:
// templ passes every attribute's { expression } through templ.JoinStringErrs, a
// fmt.Sprint and two allocations each, and every templ component allocates its
// closure. These write what templ wrote, byte for byte
// (TestCashierPageMarkup), escaping every value as templ escapes an
// expression (templ.EscapeString); each is a concrete type, so that calling it
// allocates nothing.

// writeHTML writes parts to w: those at even positions as they are (markup of
// the cashier's own), those at odd positions escaped.
func writeHTML(w io.Writer, parts ...string) error {
	for i, s := range parts {
		if i%2 == 1 {
			s = templ.EscapeString(s)
		}
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
	}
	return nil
}

// spaced is text followed by one space: templ writes the space between a
// { expression } and the element after it, and leaves it out after a component.
type spaced string

// Render writes t escaped, then the space.
func (t spaced) Render(_ context.Context, w io.Writer) error {
	return writeHTML(w, "", string(t), " ")
}

// CSRF is the hidden field carrying the CSRF token; every form that posts has one.
type CSRF string

// Render writes the field.
func (token CSRF) Render(_ context.Context, w io.Writer) error {
	return writeHTML(w, `<input type="hidden" name="csrf" value="`, string(token), `">`)
}

// hidden is a hidden field of a form.
type hidden struct{ name, value string }

// hiddenInput is the hidden field name with value.
func hiddenInput(name, value string) hidden { return hidden{name, value} }

// Render writes the field.
func (h hidden) Render(_ context.Context, w io.Writer) error {
	return writeHTML(w, `<input type="hidden" name="`, h.name, `" value="`, h.value, `">`)
}

// navItem is one link of the navigation, marked as the current page when it
// leads to it.
type navItem struct {
	path, label string
	current     bool
}

// navLink is the navigation's link to path, the current page when it is ch's.
func navLink(ch Chrome, path, label string) navItem {
	return navItem{path: path, label: label, current: ch.Current == path}
}

// Render writes the link in its list item.
func (n navItem) Render(_ context.Context, w io.Writer) error {
	current := `">`
	if n.current {
		current = `" aria-current="page">`
	}
	return writeHTML(w, `<li><a href="`, n.path, current, n.label, `</a></li>`)
}

// quickPickButton is a one-click amount of the deposit form: without
// JavaScript it sends the form with its amount (as "pick"); with
// static/js/checkout.js it fills the field.
type quickPickButton QuickPick

// quickPick is q's button.
func quickPick(q QuickPick) quickPickButton { return quickPickButton(q) }

// Render writes the button.
func (q quickPickButton) Render(_ context.Context, w io.Writer) error {
	return writeHTML(w, `<button type="submit" name="pick" value="`, q.Value,
		`" formnovalidate class="button secondary quick-pick" data-fill="amount" data-fill-value="`, q.Typed,
		`" data-testid="pick-`, q.Value, `">`, q.Label, `</button>`)
}

// amount is the deposit form's amount field with its label and the limits
// (Limits) as its hint: its pattern (AmountPattern), the amount typed, the
// limits as data for static/js/checkout.js, marked invalid (its border, and
// aria-invalid) when the form's problem is about it, and the currency after it.
type amount struct {
	label, limits, title, amount, min, max, rng, currency string
	invalid                                               bool
}

// amountField is f's amount field, in ch's words.
func amountField(ch Chrome, f DepositForm) amount {
	return amount{label: ch.T("common.amount"), limits: f.Limits, title: ch.T("amount.title"), amount: f.Amount, min: f.Min,
		max: f.Max, rng: f.Range, currency: f.Currency, invalid: f.Field == "amount"}
}

// Render writes the field.
func (a amount) Render(_ context.Context, w io.Writer) error {
	div, end := `<div class="field"><label for="amount">`, `" data-testid="amount"> <span class="currency" aria-hidden="true">`
	if a.invalid {
		div, end = `<div class="field invalid"><label for="amount">`, `" aria-invalid="true" data-testid="amount"> <span class="currency" aria-hidden="true">`
	}
	return writeHTML(w, div, a.label, ` <span class="hint" data-testid="amount-hint">`, a.limits,
		`</span></label><div class="amount-input"><input id="amount" name="amount" type="text" inputmode="decimal" pattern="`, AmountPattern,
		`" title="`, a.title, `" required value="`, a.amount, `" autocomplete="off" data-min="`, a.min,
		`" data-max="`, a.max, `" data-range="`, a.rng, end, a.currency, `</span></div></div>`)
}

// script is the script element of one of the static files (static.Path),
// deferred.
type script string

// Render writes the element.
func (name script) Render(_ context.Context, w io.Writer) error {
	return writeHTML(w, `<script src="`, static.Path(string(name)), `" defer></script>`)
}

// assets is the head's links to the favicon, the stylesheet and the frame's
// script.
type assets struct{}

// headAssets is the head's links to the static files every page uses.
func headAssets() assets { return assets{} }

// Render writes the links.
func (assets) Render(_ context.Context, w io.Writer) error {
	return writeHTML(w, `<link rel="icon" type="image/svg+xml" href="`, static.Path("img/favicon.svg"),
		`"><link rel="stylesheet" href="`, static.Path("css/app.css"), `"><script src="`, static.Path("js/cashier.js"), `" defer></script>`)
}
