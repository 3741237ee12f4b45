package sandbox

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/trustly-cashier/cashier/trustly"
)

// currencies the sandbox accepts (622 otherwise).
var currencies = map[string]bool{
	"EUR": true, "SEK": true, "NOK": true, "DKK": true, "GBP": true, "PLN": true, "CZK": true,
	"HUF": true, "RON": true, "BGN": true, "CHF": true, "USD": true,
}

// countries Trustly serves, ISO 3166-1 alpha-2 (737 otherwise).
var countries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "CY": true, "CZ": true, "DE": true, "DK": true, "EE": true, "ES": true,
	"FI": true, "FR": true, "GB": true, "GR": true, "HR": true, "HU": true, "IE": true, "IT": true, "LT": true,
	"LU": true, "LV": true, "MT": true, "NL": true, "NO": true, "PL": true, "PT": true, "RO": true, "SE": true,
	"SI": true, "SK": true, "US": true, "CA": true, "AU": true, "IS": true, "LI": true, "CH": true,
}

var (
	amountRE  = regexp.MustCompile(`^[0-9]{1,13}\.[0-9]{2}$`)
	integerRE = regexp.MustCompile(`^[0-9]{1,13}$`)
	localeRE  = regexp.MustCompile(`^[a-z]{2}_[A-Z]{2}$`)
	dateRE    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// parseAmount reads a request amount: decimal text with exactly two decimals and
// greater than zero (HUF may also come without decimals). It returns minor units.
func parseAmount(s, currency string) (int64, bool) {
	var whole, frac string
	switch {
	case amountRE.MatchString(s):
		whole, frac, _ = strings.Cut(s, ".")
	case currency == "HUF" && integerRE.MatchString(s):
		whole, frac = s, "00"
	default:
		return 0, false
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	minor := w*100 + f
	return minor, minor > 0
}

// formatAmount writes minor units as Trustly's decimal text, "-12.50".
func formatAmount(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

// httpURL reports whether s is an absolute http(s) URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// checkNotificationURL applies 705 (malformed, or has a query) and 734 (not HTTPS).
// The sandbox also allows plain http to 127.0.0.1, ::1 and localhost, because the
// cashier runs locally without TLS; Trustly itself would answer 734.
func checkNotificationURL(s string) *apiError {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fail(trustly.CodeMalformedNotificationURL, "NotificationURL is not an absolute http(s) URL")
	}
	if strings.Contains(s, "?") {
		return fail(trustly.CodeMalformedNotificationURL, "NotificationURL must not contain '?'")
	}
	if u.Scheme == "http" {
		switch u.Hostname() {
		case "127.0.0.1", "::1", "localhost":
		default:
			return fail(trustly.CodeNotSecureNotificationURL, "NotificationURL must be https")
		}
	}
	return nil
}

// identifier is the shape the sandbox requires of MessageID and EndUserID: at most
// 100 characters, no control characters, no surrounding spaces.
func identifier(s string) bool {
	if len(s) > 100 || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func validIP(s string) bool {
	return net.ParseIP(strings.TrimSpace(s)) != nil && !strings.ContainsAny(s, ", ")
}

func validDate(s string) (time.Time, bool) {
	if !dateRE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

// checkCommon applies the format checks shared by Deposit and SelectAccount, and
// by AccountPayout for the fields it has.
func checkCommon(c *call) *apiError {
	if v := c.str("NotificationURL"); v != "" {
		if aerr := checkNotificationURL(v); aerr != nil {
			return aerr
		}
	}
	if v := c.str("MessageID"); v != "" && !identifier(v) {
		return fail(trustly.CodeMalformedMessageID, "MessageID is malformed")
	}
	if v := c.str("EndUserID"); v != "" && !identifier(v) {
		return fail(trustly.CodeMalformedEndUserID, "EndUserID is malformed")
	}
	return nil
}

// checkCheckoutAttrs applies the format checks of the checkout attributes.
func checkCheckoutAttrs(c *call) *apiError {
	if v := c.attr("Locale"); v != "" && !localeRE.MatchString(v) {
		return fail(trustly.CodeInvalidLocale, "Locale must look like sv_SE")
	}
	if v := c.attr("IP"); v != "" && !validIP(v) {
		return fail(trustly.CodeInvalidIP, "IP must be one address")
	}
	if v := c.attr("SuccessURL"); v != "" && !httpURL(v) {
		return fail(trustly.CodeMalformedSuccessURL, "SuccessURL is not an http(s) URL")
	}
	if v := c.attr("FailURL"); v != "" && !httpURL(v) {
		return fail(trustly.CodeMalformedFailURL, "FailURL is not an http(s) URL")
	}
	if v := c.attr("TemplateURL"); v != "" && !httpURL(v) {
		return fail(trustly.CodeMalformedTemplateURL, "TemplateURL is not an http(s) URL")
	}
	switch c.attr("URLTarget") {
	case "", "_top", "_self", "_parent":
	default:
		return fail(trustly.CodeMalformedURLTarget, "URLTarget must be _top, _self or _parent")
	}
	if v := c.attr("Country"); v != "" && !countries[v] {
		return fail(trustly.CodeInvalidCountry, "unknown Country "+v)
	}
	for _, f := range []string{"RequestKYC", "HoldNotifications", "UnchangeableNationalIdentificationNumber",
		"RequestDirectDebitMandate", "QuickDeposit"} {
		if _, aerr := c.flag(f); aerr != nil {
			return aerr
		}
	}
	// The flag locks the pre-filled number (API.md §4.1): with none, it locks nothing.
	if fixed, _ := c.flag("UnchangeableNationalIdentificationNumber"); fixed && c.attr("NationalIdentificationNumber") == "" {
		return fail(trustly.CodeInvalidParameters, "UnchangeableNationalIdentificationNumber needs a NationalIdentificationNumber")
	}
	return checkSandboxAttrs(c)
}

// checkSandboxAttrs validates the sandbox's own attributes (717 for a bad value,
// 623 for a flag that is neither "1" nor "0").
func checkSandboxAttrs(c *call) *apiError {
	for _, name := range sandboxAttrs {
		if aerr := checkSandboxAttr(name, c.attr(name)); aerr != nil {
			return aerr
		}
	}
	return nil
}

// checkSandboxAttr checks v, the value of the sandbox attribute name; "" is the
// attribute left out, and taken. The detail of its error names the attribute and
// says which values it takes.
func checkSandboxAttr(name, v string) *apiError {
	if v == "" {
		return nil
	}
	switch name {
	case "SandboxScenario":
		if _, ok := scenarioByName(v); !ok {
			names := make([]string, len(Scenarios))
			for i, sc := range Scenarios {
				names[i] = string(sc.Name)
			}
			return fail(trustly.CodeInvalidOrderAttribute, "unknown SandboxScenario "+v+": want one of "+strings.Join(names, ", "))
		}
	case "SandboxAutoComplete", "SandboxDuplicate", "SandboxShuffle":
		if v != "0" && v != "1" {
			return fail(trustly.CodeInvalidParameters, name+" must be \"1\" or \"0\"")
		}
	case "SandboxDelay":
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			return fail(trustly.CodeInvalidOrderAttribute, "SandboxDelay must be a Go duration such as 500ms")
		}
	case "SandboxPerson":
		if _, ok := PersonByID(v); !ok {
			ids := make([]string, len(Persons))
			for i, p := range Persons {
				ids[i] = p.ID
			}
			return fail(trustly.CodeInvalidOrderAttribute, "unknown SandboxPerson "+v+": want one of "+strings.Join(ids, ", "))
		}
	case "SandboxKYCTimeout":
		if _, ok := parseKYCTimeout(v); !ok {
			return fail(trustly.CodeInvalidOrderAttribute, "SandboxKYCTimeout must be a Go duration above zero such as 5s")
		}
	case "SandboxKYCResend":
		if _, _, ok := parseKYCResend(v); !ok {
			return fail(trustly.CodeInvalidOrderAttribute, "SandboxKYCResend must be \"1\", \"0\" or a Go duration such as 500ms")
		}
	}
	return nil
}

// CheckAttributes checks attrs, sandbox attributes a merchant adds to its calls
// (the cashier's TRUSTLY_SANDBOX_ATTRIBUTES), by the rules the API applies: each
// name is one of the sandbox's own, each value one it takes. A bad value has every
// call refused (717 or 623), a misspelt name is refused (623) or ignored, so a
// merchant checks them once, before its first call. The error names the attribute
// and says which names or values are taken.
func CheckAttributes(attrs map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		if !slices.Contains(sandboxAttrs, name) {
			return fmt.Errorf("%s is not a sandbox attribute: want one of %s", name, strings.Join(sandboxAttrs, ", "))
		}
		if aerr := checkSandboxAttr(name, attrs[name]); aerr != nil {
			return errors.New(aerr.detail)
		}
	}
	return nil
}
