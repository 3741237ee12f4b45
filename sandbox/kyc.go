package sandbox

import (
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Pay N Play options of an order, set with Attributes.SandboxKYCTimeout,
// SandboxKYCResend and SandboxPerson, or in the checkout's login step. Trustly has
// no such options; they let a merchant test its kyc handling without a browser.

// parseKYCTimeout reads a kyc answer timeout: a Go duration above zero ("5s").
func parseKYCTimeout(v string) (time.Duration, bool) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	return d, err == nil && d > 0
}

// parseKYCResend reads SandboxKYCResend: "" or "0" for no redelivery, "1" for one
// right after the first kyc, or a Go duration for one that long after it (past the
// credit, for a late kyc).
func parseKYCResend(v string) (resend bool, after time.Duration, ok bool) {
	switch v = strings.TrimSpace(v); v {
	case "", "0":
		return false, 0, true
	case "1":
		return true, 0, true
	}
	d, err := time.ParseDuration(v)
	return err == nil && d >= 0, d, err == nil && d >= 0
}

// kycTimeout is how long the sandbox waits for the merchant's kyc answer.
func (s *Sandbox) kycTimeout(o *Order) time.Duration {
	if o.KYCTimeoutMs > 0 {
		return time.Duration(o.KYCTimeoutMs) * time.Millisecond
	}
	return s.cfg.KYCTimeout
}

// resendKYC schedules row, a kyc just queued, a second time as Trustly redelivers:
// the same notificationid, uuid and body. Only the first delivery's answer decides
// the order; the copy's answer is recorded like any other.
func (s *Sandbox) resendKYC(tx *gorm.DB, o *Order, row Outbox) error {
	row.ID, row.Duplicate = 0, true
	row.DueAt = row.DueAt.Add(time.Duration(o.KYCResendAfterMs) * time.Millisecond)
	s.log.Info("kyc redelivery queued", "order_id", o.ID, "notification_id", row.NotificationID,
		"due", row.DueAt.Format(time.RFC3339Nano))
	return tx.Create(&row).Error
}

// autoPerson is who auto-complete logs in as: SandboxPerson, else the test person
// the NationalIdentificationNumber names, else the person the merchant named
// (namedPerson), else the country's adult.
func autoPerson(o *Order) Person {
	if p, ok := PersonByID(o.AutoPerson); ok {
		return p
	}
	if p, ok := prefilled(o.NationalID); ok {
		return p
	}
	if p, ok := namedPerson(o); ok {
		return p
	}
	return defaultPerson(o.Country)
}

// prefilled is the test person whose personid nin is, as Trustly pre-fills the bank
// login with a Deposit's NationalIdentificationNumber. The number may carry its
// country code, spaces and, in SE, a "-" before the last four digits.
func prefilled(nin string) (Person, bool) {
	n := normalizePersonID(nin)
	for _, p := range Persons {
		if n != "" && p.PersonID != "" && normalizePersonID(p.PersonID) == n {
			return p, true
		}
	}
	return Person{}, false
}

func normalizePersonID(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) > 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' {
		s = s[2:]
	}
	if len(s) == 13 && s[8] == '-' {
		s = s[:8] + s[9:]
	}
	return s
}

// fixedPerson is the only person who may log in to o: the one its
// NationalIdentificationNumber names when UnchangeableNationalIdentificationNumber
// was "1", a test person or the person the merchant named. ok is false when
// anyone may.
func fixedPerson(o *Order) (Person, bool) {
	if !o.NationalIDFixed {
		return Person{}, false
	}
	if p, ok := prefilled(o.NationalID); ok {
		return p, true
	}
	if p, ok := namedPerson(o); ok && p.PersonID != "" {
		return p, true
	}
	return Person{}, false
}

// kycOptions applies the login step's kyc options to o, or returns what to fix.
func kycOptions(o *Order, form url.Values) (problem string) {
	if !o.RequestKYC {
		return ""
	}
	if v := strings.TrimSpace(form.Get("kyctimeout")); v != "" {
		d, ok := parseKYCTimeout(v)
		if !ok {
			return "Enter the kyc answer timeout as a duration such as 5s, or leave it empty."
		}
		o.KYCTimeoutMs = d.Milliseconds()
	}
	if form.Get("kycresend") == "1" {
		after := strings.TrimSpace(form.Get("kycresendafter"))
		if after == "" {
			after = "0s"
		}
		resend, d, ok := parseKYCResend(after)
		if !ok {
			return "Enter when to send the kyc again as a duration such as 2s, or leave it empty."
		}
		o.KYCResend, o.KYCResendAfterMs = resend, d.Milliseconds()
	}
	return ""
}
