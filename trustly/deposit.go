package trustly

import (
	"context"
)

// DepositParams is what a Deposit states (API.md §4.1). Empty optional fields are
// left out of the request. Amount and SuggestedMin/MaxAmount exclude each other; leave
// all three out for a Pay N Play login without money.
type DepositParams struct {
	NotificationURL string // required; no '?', HTTPS at Trustly, hard to guess
	EndUserID       string // required; our permanent player ID
	MessageID       string // required; our order ID, unique (reuse → 637)
	Currency        string // required; ISO 4217, "SEK"

	Amount             string // decimal text with two decimals, "100.00"; empty lets the player type it
	SuggestedMinAmount string // bounds for a typed amount
	SuggestedMaxAmount string

	Firstname        string
	Lastname         string
	Email            string
	MobilePhone      string // international format, "+46709876543"
	Country          string // ISO 3166-1 alpha-2, "SE"
	Locale           string // language_TERRITORY, "sv_SE"
	ShopperStatement string // our brand on the player's bank statement
	IP               string // the player's address, a single one
	SuccessURL       string
	FailURL          string
	URLTarget        string // TargetTop, TargetSelf or TargetParent
	TemplateURL      string

	NationalIdentificationNumber             string
	UnchangeableNationalIdentificationNumber bool   // sent as "1"; Sweden only
	AccountID                                string // a returning player's account, for the fast path
	RequestKYC                               bool   // sent as "1": Pay N Play
	HoldNotifications                        bool   // sent as "1"; Trustly's test environment only
	IntegrationModule                        string // free text naming our software

	// Extra attributes are sent as given, after the ones above; a key that repeats
	// one of them is refused. The sandbox's test-only attributes go here.
	Extra map[string]string
}

// DepositResult is Trustly's answer to a Deposit. URL is the checkout to show the
// player; it expires after 10–30 minutes. Only notifications tell what happened.
type DepositResult struct {
	OrderID string
	URL     string
}

// Deposit starts a deposit checkout. It validates p and sends nothing when a field
// is missing or malformed (ErrInvalidParams).
func (c *Client) Deposit(ctx context.Context, p DepositParams) (DepositResult, error) {
	const method = "Deposit"
	ch := checks{method: method}
	ch.need("NotificationURL", p.NotificationURL)
	ch.rule("NotificationURL", p.NotificationURL, notificationURL)
	ch.need("EndUserID", p.EndUserID)
	ch.need("MessageID", p.MessageID)
	ch.need("Currency", p.Currency)
	ch.rule("Currency", p.Currency, currency)
	ch.rule("Amount", p.Amount, amount)
	ch.rule("SuggestedMinAmount", p.SuggestedMinAmount, amount)
	ch.rule("SuggestedMaxAmount", p.SuggestedMaxAmount, amount)
	if p.Amount != "" && (p.SuggestedMinAmount != "" || p.SuggestedMaxAmount != "") {
		ch.fail("Amount", "must not be combined with SuggestedMinAmount or SuggestedMaxAmount")
	}
	if lo, ok := minorUnits(p.SuggestedMinAmount); ok {
		if hi, ok := minorUnits(p.SuggestedMaxAmount); ok && lo > hi {
			ch.fail("SuggestedMinAmount", "%s is above SuggestedMaxAmount %s", p.SuggestedMinAmount, p.SuggestedMaxAmount)
		}
	}
	ch.rule("Country", p.Country, country)
	ch.payNPlayCountry(p.RequestKYC, p.Country)
	ch.rule("Locale", p.Locale, locale)
	ch.rule("IP", p.IP, ipAddress)
	ch.rule("SuccessURL", p.SuccessURL, webURL)
	ch.rule("FailURL", p.FailURL, webURL)
	ch.rule("TemplateURL", p.TemplateURL, webURL)
	ch.rule("URLTarget", p.URLTarget, urlTarget)
	if p.UnchangeableNationalIdentificationNumber && p.NationalIdentificationNumber == "" {
		ch.fail("UnchangeableNationalIdentificationNumber", "needs NationalIdentificationNumber")
	}

	attrs := fields{}
	attrs.set("Currency", p.Currency)
	attrs.opt("Amount", p.Amount)
	attrs.opt("SuggestedMinAmount", p.SuggestedMinAmount)
	attrs.opt("SuggestedMaxAmount", p.SuggestedMaxAmount)
	attrs.opt("Firstname", p.Firstname)
	attrs.opt("Lastname", p.Lastname)
	attrs.opt("Email", p.Email)
	attrs.opt("MobilePhone", p.MobilePhone)
	attrs.opt("Country", p.Country)
	attrs.opt("Locale", p.Locale)
	attrs.opt("ShopperStatement", p.ShopperStatement)
	attrs.opt("IP", p.IP)
	attrs.opt("SuccessURL", p.SuccessURL)
	attrs.opt("FailURL", p.FailURL)
	attrs.opt("URLTarget", p.URLTarget)
	attrs.opt("TemplateURL", p.TemplateURL)
	attrs.opt("NationalIdentificationNumber", p.NationalIdentificationNumber)
	attrs.flag("UnchangeableNationalIdentificationNumber", p.UnchangeableNationalIdentificationNumber)
	attrs.opt("AccountID", p.AccountID)
	attrs.flag("RequestKYC", p.RequestKYC)
	attrs.flag("HoldNotifications", p.HoldNotifications)
	attrs.opt("IntegrationModule", p.IntegrationModule)
	attrs.extra(&ch, p.Extra)
	if err := ch.err(); err != nil {
		return DepositResult{}, err
	}

	data, err := c.call(ctx, method, map[string]any{
		"NotificationURL": p.NotificationURL,
		"EndUserID":       p.EndUserID,
		"MessageID":       p.MessageID,
		"Attributes":      map[string]any(attrs),
	})
	if err != nil {
		return DepositResult{}, err
	}
	id, checkout, err := c.checkoutResult(method, data)
	if err != nil {
		return DepositResult{}, err
	}
	return DepositResult{OrderID: id, URL: checkout}, nil
}
