package trustly

import (
	"context"
	"fmt"
)

// RegisterAccountParams saves a bank account for payouts without a checkout (API.md
// §4.4, bank fields per market in §10). Trustly checks the number's format only, not
// who owns the account.
type RegisterAccountParams struct {
	EndUserID     string // required
	ClearingHouse string // required: "SWEDEN", "FINLAND", "UNITED_KINGDOM", …
	BankNumber    string // always sent; "" for IBAN markets
	AccountNumber string // required; the IBAN in IBAN markets
	Firstname     string // required; a company's name for a company
	Lastname      string // always sent; "" for a company

	DateOfBirth                  string // YYYY-MM-DD
	MobilePhone                  string
	NationalIdentificationNumber string
	Email                        string
	AddressCountry               string // ISO 3166-1 alpha-2
	AddressPostalCode            string // sent as AddressPostalCode, the docs' spelling
	AddressCity                  string
	AddressLine1                 string
	AddressLine2                 string
	Address                      string
}

// RegisterAccountResult identifies the account. The same details always give the
// same AccountID. Descriptor is a masked number, fine to show and never to parse.
type RegisterAccountResult struct {
	AccountID     string
	ClearingHouse string
	Bank          string
	Descriptor    string
}

// RegisterAccount registers a bank account and returns its AccountID for
// AccountPayout. A badly formatted number is a *Error with
// CodeInvalidBankAccountNumber.
func (c *Client) RegisterAccount(ctx context.Context, p RegisterAccountParams) (RegisterAccountResult, error) {
	const method = "RegisterAccount"
	ch := checks{method: method}
	ch.need("EndUserID", p.EndUserID)
	ch.need("ClearingHouse", p.ClearingHouse)
	ch.need("AccountNumber", p.AccountNumber)
	ch.need("Firstname", p.Firstname)
	ch.rule("DateOfBirth", p.DateOfBirth, date)
	ch.rule("AddressCountry", p.AddressCountry, country)
	if err := ch.err(); err != nil {
		return RegisterAccountResult{}, err
	}
	attrs := fields{}
	attrs.opt("DateOfBirth", p.DateOfBirth)
	attrs.opt("MobilePhone", p.MobilePhone)
	attrs.opt("NationalIdentificationNumber", p.NationalIdentificationNumber)
	attrs.opt("Email", p.Email)
	attrs.opt("AddressCountry", p.AddressCountry)
	attrs.opt("AddressPostalCode", p.AddressPostalCode)
	attrs.opt("AddressCity", p.AddressCity)
	attrs.opt("AddressLine1", p.AddressLine1)
	attrs.opt("AddressLine2", p.AddressLine2)
	attrs.opt("Address", p.Address)

	data := fields{}
	data.set("EndUserID", p.EndUserID)
	data.set("ClearingHouse", p.ClearingHouse)
	data.set("BankNumber", p.BankNumber)
	data.set("AccountNumber", p.AccountNumber)
	data.set("Firstname", p.Firstname)
	data.set("Lastname", p.Lastname)
	data["Attributes"] = map[string]any(attrs)
	res, err := c.call(ctx, method, data)
	if err != nil {
		return RegisterAccountResult{}, err
	}
	r, err := resultObject(method, res)
	if err != nil {
		return RegisterAccountResult{}, err
	}
	r.need("accountid")
	r.check("accountid", accountID, "text without control characters or spaces at its ends")
	if r.err != nil {
		return RegisterAccountResult{}, fmt.Errorf("%s result: %w", method, r.err)
	}
	out := RegisterAccountResult{AccountID: r.str("accountid"), ClearingHouse: r.str("clearinghouse"),
		Bank: r.str("bank"), Descriptor: r.str("descriptor")}
	if r.err != nil {
		return RegisterAccountResult{}, fmt.Errorf("%s result: %w", method, r.err)
	}
	return out, nil
}
