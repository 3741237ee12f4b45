package trustly

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// URL targets Trustly accepts for Attributes.URLTarget (API.md §9); anything else is
// refused with 703.
const (
	TargetTop    = "_top"
	TargetSelf   = "_self"
	TargetParent = "_parent"
)

var (
	amountRE   = regexp.MustCompile(`^(0|[1-9][0-9]*)\.[0-9]{2}$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	localeRE   = regexp.MustCompile(`^[a-z]{2}_[A-Z]{2}$`)
)

// checks collects what is wrong with one request's params, so that a caller learns
// every bad field at once and nothing is sent.
type checks struct {
	method   string
	problems []string
}

func (c *checks) fail(field, format string, args ...any) {
	c.problems = append(c.problems, field+" "+fmt.Sprintf(format, args...))
}

// need records a problem when a required value is empty.
func (c *checks) need(field, value string) {
	if strings.TrimSpace(value) == "" {
		c.fail(field, "is required")
	}
}

// rule checks a value against one of the format rules below when it is set.
func (c *checks) rule(field, value string, rule func(string) error) {
	if value == "" {
		return
	}
	if err := rule(value); err != nil {
		c.fail(field, "%v", err)
	}
}

func (c *checks) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w: %s", c.method, ErrInvalidParams, strings.Join(c.problems, "; "))
}

// payNPlayCountry records a problem when RequestKYC goes with a Country where
// Trustly offers no Pay N Play (732); without a Country the player picks one in
// the checkout.
func (c *checks) payNPlayCountry(kyc bool, country string) {
	if kyc && country != "" && !slices.Contains(PayNPlayCountries, country) {
		c.fail("RequestKYC", "with Country %s: Trustly offers Pay N Play in %s only", country, strings.Join(PayNPlayCountries, ", "))
	}
}

// minorUnits is s, an amount the amount rule takes ("100.00"), in minor units.
func minorUnits(s string) (int64, bool) {
	if amount(s) != nil {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	f, ferr := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, err == nil && ferr == nil
}

// amount is Trustly's rule for sent amounts (615): decimal text with a dot and
// exactly two decimals, greater than zero.
func amount(s string) error {
	if !amountRE.MatchString(s) || strings.Trim(s, "0.") == "" {
		return fmt.Errorf("%q is not an amount > 0 with two decimals, such as \"100.00\"", s)
	}
	return nil
}

func currency(s string) error {
	if !currencyRE.MatchString(s) {
		return fmt.Errorf("%q is not an ISO 4217 code such as \"SEK\"", s)
	}
	return nil
}

func country(s string) error {
	if !countryRE.MatchString(s) {
		return fmt.Errorf("%q is not an ISO 3166-1 alpha-2 code such as \"SE\"", s)
	}
	return nil
}

func locale(s string) error {
	if !localeRE.MatchString(s) {
		return fmt.Errorf("%q is not language_TERRITORY such as \"sv_SE\"", s)
	}
	return nil
}

func urlTarget(s string) error {
	switch s {
	case TargetTop, TargetSelf, TargetParent:
		return nil
	}
	return fmt.Errorf("%q is not _top, _self or _parent", s)
}

func ipAddress(s string) error {
	if _, err := netip.ParseAddr(s); err != nil {
		return fmt.Errorf("%q is not a single IP address", s)
	}
	return nil
}

func date(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
		return fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return nil
}

// webURL accepts an absolute http or https URL.
func webURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

// notificationURL is a web URL without '?': Trustly posts to it and does not mix
// GET and POST data. HTTPS is Trustly's rule (734), not checked here, so a local
// sandbox can notify over plain HTTP.
func notificationURL(s string) error {
	if strings.Contains(s, "?") {
		return errors.New("must not contain '?'")
	}
	return webURL(s)
}

// fields is a request's Data or Attributes under construction: every value a
// string, and an optional value left out rather than sent empty or null.
type fields map[string]any

// set writes a value that was checked as required, even when it is "" (BankNumber
// for IBAN markets).
func (f fields) set(key, value string) { f[key] = value }

// opt writes value only when it is not empty.
func (f fields) opt(key, value string) {
	if value != "" {
		f[key] = value
	}
}

// flag writes "1" when on and nothing otherwise.
func (f fields) flag(key string, on bool) {
	if on {
		f[key] = "1"
	}
}

// extra adds caller-supplied attributes as given. One that would replace an
// attribute the params already set is a problem, not a silent override.
func (f fields) extra(c *checks, extra map[string]string) {
	for k, v := range extra {
		switch _, set := f[k]; {
		case k == "":
			c.fail("Extra", "has an empty key")
		case set:
			c.fail("Extra."+k, "repeats an attribute the params set")
		default:
			f[k] = v
		}
	}
}

// resultObject is the verified result data of an object-valued method.
func resultObject(method string, data any) (fieldReader, error) {
	d, ok := data.(map[string]any)
	if !ok {
		return fieldReader{}, fmt.Errorf("%s: result data is %s, not an object", method, jsonType(data))
	}
	return fieldReader{obj: d}, nil
}

// resultArray is the verified result data of an array-valued method; null counts
// as an empty array.
func resultArray(method string, data any) ([]fieldReader, error) {
	if data == nil {
		return nil, nil
	}
	a, ok := data.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: result data is %s, not an array", method, jsonType(data))
	}
	rows := make([]fieldReader, len(a))
	for i, e := range a {
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: result data[%d] is %s, not an object", method, i, jsonType(e))
		}
		rows[i] = fieldReader{obj: obj}
	}
	return rows, nil
}

// need reads fields that must be present and not empty, and reports the first
// missing or non-text one.
func (r *fieldReader) need(keys ...string) error {
	for _, k := range keys {
		if r.str(k) == "" && r.err == nil {
			r.err = fmt.Errorf("%s is missing", k)
		}
	}
	return r.err
}

// check records, when r has no problem yet, that key's value is not valid: the
// value as text (a number as its literal), checked when it is not empty. need
// says which keys must be there.
func (r *fieldReader) check(key string, valid func(string) bool, what string) {
	if v := r.str(key); v != "" && r.err == nil && !valid(v) {
		r.err = fmt.Errorf("%s %.64q is not %s", key, v, what)
	}
}

// rowMoney is the amount text of a list result's row: a decimal with at most two
// decimals that are not zeros ("11", "25.50", "-5.00000000000000000000" where
// signed), as models.ParseDecimal reads it.
func rowMoney(signed bool) func(string) bool {
	return func(s string) bool {
		if signed {
			s = strings.TrimPrefix(s, "-")
		}
		if !decimalText.MatchString(s) {
			return false
		}
		_, frac, _ := strings.Cut(s, ".")
		return len(frac) <= 2 || strings.Trim(frac[2:], "0") == ""
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// badResult is a verified result whose data does not have its method's shape.
// Trustly answered, so the request may have been carried out, but the answer does
// not say what: the outcome is unknown. The signature binds only the joined text
// of the data, so a reshaped result verifies too (API.md §12.1 #9).
func badResult(method string, err error) error {
	return fmt.Errorf("%s result: %w: %w", method, ErrOutcomeUnknown, err)
}

// orderID reads a result's orderid: present, and digits, as Trustly writes its ids.
func (r *fieldReader) orderID() (string, error) {
	if err := r.need("orderid"); err != nil {
		return "", err
	}
	id := r.str("orderid")
	if !digits(id) {
		return "", fmt.Errorf("orderid %.64q is not digits", id)
	}
	return id, nil
}

// accepted checks the data.result of an AccountPayout or Refund result: "1" (or the
// number 1) is the only acceptance. call has already turned "0" into ErrRefused;
// no result, or any other value, says neither, and a refusal
// {"orderid":"X","result":"0"} signs like {"orderid":"Xresult0"}.
func (r *fieldReader) accepted() error {
	switch v := r.obj["result"].(type) {
	case string:
		if v == "1" {
			return nil
		}
	case json.Number:
		if v == "1" {
			return nil
		}
	}
	return fmt.Errorf("result is %s %.16q, not \"1\"", jsonType(r.obj["result"]), fmt.Sprint(r.obj["result"]))
}

// checkoutURL checks the url of a Deposit or SelectAccount result, which the
// player's browser opens in our page's iframe, its link and, on mobile, as the
// whole page: an absolute https URL with a host and no user info. Plain http is
// accepted only from an API spoken over plain http, which Trustly never is: a
// sandbox (the embedded one, or a separate one at a custom URL whose public
// address may differ from the one we call).
//
// From Trustly's own API (a host under trustly.com), the checkout must be on a
// host under trustly.com too, where Trustly serves every checkout: the signature
// binds no shape, and {"url":"https://test.tr","ustly.com/_/…":""} signs like
// {"url":"https://test.trustly.com/_/…"}.
func checkoutURL(api, s string) error {
	u, err := url.Parse(s)
	a, aerr := url.Parse(api)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.Opaque != "":
	case aerr == nil && trustlyHost(a.Hostname()) && !trustlyHost(u.Hostname()):
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && aerr == nil && a.Scheme == "http":
		return nil
	}
	return fmt.Errorf("url %.200q is not an https checkout URL", s)
}

// trustlyHost reports whether host is trustly.com or a host under it.
func trustlyHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "trustly.com" || strings.HasSuffix(host, ".trustly.com")
}

// checkoutResult reads the result of a Deposit or SelectAccount: Trustly's orderid
// and the URL of the checkout the player's browser opens (checkoutURL). A result
// of another shape is badResult: its outcome is unknown.
func (c *Client) checkoutResult(method string, data any) (orderID, checkout string, err error) {
	r, err := resultObject(method, data)
	if err == nil {
		orderID, err = r.orderID()
	}
	if err == nil {
		err = r.need("url")
	}
	if err == nil {
		err = checkoutURL(c.cfg.URL, r.str("url"))
	}
	if err != nil {
		return "", "", badResult(method, err)
	}
	return orderID, r.str("url"), nil
}

// acceptedResult reads the result of an AccountPayout or Refund: Trustly's orderid,
// and a result that says accepted (accepted). A result of another shape is
// badResult: its outcome is unknown.
func acceptedResult(method string, data any) (orderID string, err error) {
	r, err := resultObject(method, data)
	if err == nil {
		orderID, err = r.orderID()
	}
	if err == nil {
		err = r.accepted()
	}
	if err != nil {
		return "", badResult(method, err)
	}
	return orderID, nil
}

// PayNPlayCountries are the countries where Trustly offers Pay N Play (API.md §8):
// RequestKYC with a Country outside them is refused (732).
var PayNPlayCountries = []string{"SE", "FI", "EE", "NL"}
