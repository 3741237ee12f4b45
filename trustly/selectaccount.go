package trustly

import (
	"context"
)

// SelectAccountParams is what a SelectAccount states (API.md §4.5): the player picks
// and verifies a bank account in the checkout, and no money moves.
type SelectAccountParams struct {
	NotificationURL string // required; no '?'
	EndUserID       string // required
	MessageID       string // required; unique

	Locale                       string // language_TERRITORY, "sv_SE"
	Country                      string // ISO 3166-1 alpha-2
	Firstname                    string
	Lastname                     string
	IP                           string
	SuccessURL                   string
	FailURL                      string
	URLTarget                    string // TargetTop, TargetSelf or TargetParent
	MobilePhone                  string
	Email                        string
	NationalIdentificationNumber string
	DateOfBirth                  string // YYYY-MM-DD
	RequestKYC                   bool   // sent as "1"

	// Extra attributes are sent as given; a key that repeats one above is refused.
	Extra map[string]string
}

// SelectAccountResult is the checkout to show the player. The account notification
// that follows may come after the player has reached SuccessURL.
type SelectAccountResult struct {
	OrderID string
	URL     string
}

// SelectAccount starts an account-selection checkout.
func (c *Client) SelectAccount(ctx context.Context, p SelectAccountParams) (SelectAccountResult, error) {
	const method = "SelectAccount"
	ch := checks{method: method}
	ch.need("NotificationURL", p.NotificationURL)
	ch.rule("NotificationURL", p.NotificationURL, notificationURL)
	ch.need("EndUserID", p.EndUserID)
	ch.need("MessageID", p.MessageID)
	ch.rule("Locale", p.Locale, locale)
	ch.rule("Country", p.Country, country)
	ch.payNPlayCountry(p.RequestKYC, p.Country)
	ch.rule("IP", p.IP, ipAddress)
	ch.rule("SuccessURL", p.SuccessURL, webURL)
	ch.rule("FailURL", p.FailURL, webURL)
	ch.rule("URLTarget", p.URLTarget, urlTarget)
	ch.rule("DateOfBirth", p.DateOfBirth, date)

	attrs := fields{}
	attrs.opt("Locale", p.Locale)
	attrs.opt("Country", p.Country)
	attrs.opt("Firstname", p.Firstname)
	attrs.opt("Lastname", p.Lastname)
	attrs.opt("IP", p.IP)
	attrs.opt("SuccessURL", p.SuccessURL)
	attrs.opt("FailURL", p.FailURL)
	attrs.opt("URLTarget", p.URLTarget)
	attrs.opt("MobilePhone", p.MobilePhone)
	attrs.opt("Email", p.Email)
	attrs.opt("NationalIdentificationNumber", p.NationalIdentificationNumber)
	attrs.opt("DateOfBirth", p.DateOfBirth)
	attrs.flag("RequestKYC", p.RequestKYC)
	attrs.extra(&ch, p.Extra)
	if err := ch.err(); err != nil {
		return SelectAccountResult{}, err
	}

	data, err := c.call(ctx, method, map[string]any{
		"NotificationURL": p.NotificationURL,
		"EndUserID":       p.EndUserID,
		"MessageID":       p.MessageID,
		"Attributes":      map[string]any(attrs),
	})
	if err != nil {
		return SelectAccountResult{}, err
	}
	id, checkout, err := c.checkoutResult(method, data)
	if err != nil {
		return SelectAccountResult{}, err
	}
	return SelectAccountResult{OrderID: id, URL: checkout}, nil
}
