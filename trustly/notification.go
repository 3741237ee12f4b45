package trustly

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	iso4217 "golang.org/x/text/currency"
)

// Notification methods Trustly sends to the NotificationURL.
const (
	MethodPending            = "pending"
	MethodCredit             = "credit"
	MethodDebit              = "debit"
	MethodCancel             = "cancel"
	MethodAccount            = "account"
	MethodPayoutConfirmation = "payoutconfirmation"
	MethodPayoutFailed       = "payoutfailed"
	MethodKYC                = "kyc"
)

// Answers to a notification. kyc is answered Continue or Finish, the rest OK or
// Failed (API.md §2.5, §5.5).
const (
	StatusOK       = "OK"
	StatusFailed   = "FAILED"
	StatusContinue = "CONTINUE"
	StatusFinish   = "FINISH"
)

// Notification is a verified notification. Data holds one of *TransferData
// (pending, credit, debit), *CancelData, *AccountData, *PayoutData
// (payoutconfirmation, payoutfailed), *KYCData, or *UnknownData for methods this
// package does not know.
type Notification struct {
	Method string
	UUID   string
	Data   any
	Tree   map[string]any // the data object as received
	Raw    []byte
}

// Common fields of every notification.
type Common struct {
	NotificationID string
	OrderID        string
	MessageID      string
	EndUserID      string
	Attributes     map[string]string // scalar attributes as text; nested values are left out
}

// TransferData is pending, credit or debit.
type TransferData struct {
	Common
	Amount    string // decimal text as sent: "902.50"
	Currency  string
	Timestamp string // PostgreSQL-style text: "2010-01-20 14:42:04.675645+01"
}

// CancelData is cancel; Attributes may carry "reason" and "details".
type CancelData struct {
	Common
	Timestamp string
}

// AccountData is account: a bank account Trustly verified (or not) for this player.
type AccountData struct {
	Common
	AccountID string
	Verified  bool
}

// PayoutData is payoutconfirmation or payoutfailed (ErrorCode and ErrorMessage are
// set only for payoutfailed).
type PayoutData struct {
	Common
	Amount       string
	Currency     string
	Timestamp    string
	ErrorCode    string
	ErrorMessage string
}

// KYCData is kyc (Pay N Play). Abort means Trustly already stopped the player; the
// answer should be Finish.
type KYCData struct {
	Common
	KYCEntityID  string
	Abort        bool
	AbortMessage string
}

// UnknownData is a notification method this package does not know.
type UnknownData struct {
	Common
}

// ID returns the notification's notificationid, whatever its method.
func (n *Notification) ID() string { return n.common().NotificationID }

// OrderID returns the notification's orderid, whatever its method.
func (n *Notification) OrderID() string { return n.common().OrderID }

// MessageID returns the notification's messageid, whatever its method.
func (n *Notification) MessageID() string { return n.common().MessageID }

// EndUserID returns the enduserid the notification names, "" for none (an
// account notification names none).
func (n *Notification) EndUserID() string { return n.common().EndUserID }

func (n *Notification) common() *Common {
	switch d := n.Data.(type) {
	case *TransferData:
		return &d.Common
	case *CancelData:
		return &d.Common
	case *AccountData:
		return &d.Common
	case *PayoutData:
		return &d.Common
	case *KYCData:
		return &d.Common
	case *UnknownData:
		return &d.Common
	}
	return &Common{}
}

// ErrNotNotification means the body is a Trustly message of another kind.
var ErrNotNotification = errors.New("not a notification")

// ErrBadData means a notification's data does not fit its method's schema: a
// required key missing, a key the method does not have, or a value in the wrong
// shape. The signature cannot catch this: the signed text joins keys and values
// without separators, so {"orderid":"123","timestamp":"T"} and
// {"orderid":"123timestampT"} sign identically (API.md §12.1 #9).
var ErrBadData = errors.New("data does not fit the notification method")

// ParseNotification verifies raw with Trustly's public key and only then decodes it
// into the typed value for its method, refusing data that does not fit the method's
// schema (ErrBadData, see checkData). Every value is read as text.
func ParseNotification(raw []byte, trustlyKey *rsa.PublicKey) (*Notification, error) {
	m, err := ParseMessage(raw)
	if err != nil {
		return nil, err
	}
	if m.Kind != KindNotification {
		return nil, fmt.Errorf("%w: a %s", ErrNotNotification, m.Kind)
	}
	if err := m.Verify(trustlyKey); err != nil {
		return nil, fmt.Errorf("notification %s: %w", m.Method, err)
	}
	return decodeNotification(m)
}

// DecodeNotification decodes without verifying: for tools that show a message they
// cannot or need not trust. It checks the schema as ParseNotification does. Code
// that acts on a notification uses ParseNotification.
func DecodeNotification(raw []byte) (*Notification, error) {
	m, err := ParseMessage(raw)
	if err != nil {
		return nil, err
	}
	if m.Kind != KindNotification {
		return nil, fmt.Errorf("%w: a %s", ErrNotNotification, m.Kind)
	}
	return decodeNotification(m)
}

func decodeNotification(m *Message) (*Notification, error) {
	d, err := m.DataObject()
	if err != nil {
		return nil, fmt.Errorf("notification: %w", err)
	}
	if m.Method == "" || m.UUID == "" {
		return nil, errors.New("notification: method and uuid are required")
	}
	if !methodText.MatchString(m.Method) {
		return nil, fmt.Errorf("notification: %w: method %.40q is not a lowercase word of at most 32 letters", ErrBadData, m.Method)
	}
	if !uuidText.MatchString(m.UUID) {
		return nil, fmt.Errorf("notification %s: %w: uuid %q is not a UUID", m.Method, ErrBadData, m.UUID)
	}
	if err := checkData(m.Method, d); err != nil {
		return nil, fmt.Errorf("notification %s: %w: %w", m.Method, ErrBadData, err)
	}
	r := fieldReader{obj: d}
	c := Common{
		NotificationID: r.str("notificationid"),
		OrderID:        r.str("orderid"),
		MessageID:      r.str("messageid"),
		EndUserID:      r.str("enduserid"),
		Attributes:     r.attributes(),
	}
	n := &Notification{Method: m.Method, UUID: m.UUID, Tree: d, Raw: m.Raw}
	switch m.Method {
	case MethodPending, MethodCredit, MethodDebit:
		n.Data = &TransferData{Common: c, Amount: r.str("amount"), Currency: r.str("currency"), Timestamp: r.str("timestamp")}
	case MethodCancel:
		n.Data = &CancelData{Common: c, Timestamp: r.str("timestamp")}
	case MethodAccount:
		n.Data = &AccountData{Common: c, AccountID: r.str("accountid"), Verified: r.str("verified") == "1"}
	case MethodPayoutConfirmation, MethodPayoutFailed:
		n.Data = &PayoutData{Common: c, Amount: r.str("amount"), Currency: r.str("currency"),
			Timestamp: r.str("timestamp"), ErrorCode: r.str("errorcode"), ErrorMessage: r.str("errormessage")}
	case MethodKYC:
		n.Data = &KYCData{Common: c, KYCEntityID: r.str("kycentityid"),
			Abort: r.str("abort") == "1", AbortMessage: r.str("abortmessage")}
	default:
		n.Data = &UnknownData{Common: c}
	}
	if r.err != nil {
		return nil, fmt.Errorf("notification %s: %w", m.Method, r.err)
	}
	return n, nil
}

// schema is what one notification method's data holds (API.md §5.2).
type schema struct {
	required []string // present, and not empty or null
	optional []string
	open     bool // other keys are allowed too
	// textAttributes: every attributes value must be text. An object's keys are
	// signed joined to its values as the data's are, so {"name":"Åsa"} and
	// {"n":{"ame":"Åsa"}} sign alike, and a value nested so is one nobody reads:
	// a copy could hide the account holder's name or personid (the checks that
	// read them skipped) and, applied first, make the genuine body a conflict.
	// Set where the attributes are read (account, kyc); elsewhere Trustly may
	// nest (cancel's details) and nothing reads them.
	textAttributes bool
}

// schemas are the data of the methods this package knows. Their top-level key sets
// are closed: Trustly lists them (API.md §5.2), and a key they do not have is
// refused, because a reshaped copy of a genuine notification can only move text
// into a new key or out of a removed one. Only attributes is open (§5.1: it may
// carry new keys; account's mandate fields and kyc's gender come there), and it is
// optional except on account, whose attributes are its point: required, they also
// keep accountid (free text, §5.4 says digits but some integrations send others)
// from swallowing the "attributes" key. Every key that sorts after attributes is
// required, so nothing can move into attributes either; amount, which sorts
// before it, is a strict decimal. On account and kyc, whose attributes the
// cashier reads (the holder's name and personid, the kyc's person), every
// attributes value must be text (textAttributes), so none can be hidden in an
// object, and the attributes Trustly documents must keep their shape, none of
// them missing with its name where text shifted inside the attributes leaves it
// (checkAttributes). What is left to a reshape is, on kyc, abortmessage
// swallowing attributes (kyc is answered FINISH whatever it says).
// Methods this package does not know are open: their known keys are still checked.
var schemas = map[string]schema{
	MethodPending:            transferSchema,
	MethodCredit:             transferSchema,
	MethodDebit:              transferSchema,
	MethodPayoutConfirmation: transferSchema,
	MethodPayoutFailed: {required: slices.Concat(transferSchema.required, []string{"errorcode", "errormessage"}),
		optional: []string{"attributes"}},
	MethodCancel: {required: []string{"messageid", "orderid", "enduserid", "notificationid", "timestamp"},
		optional: []string{"attributes"}},
	MethodAccount: {required: []string{"messageid", "orderid", "notificationid", "accountid", "verified", "attributes"},
		textAttributes: true},
	MethodKYC: {required: []string{"orderid", "messageid", "enduserid", "notificationid", "kycentityid"},
		optional: []string{"attributes", "abort", "abortmessage"}, textAttributes: true},
}

var (
	transferSchema = schema{required: []string{"amount", "currency", "messageid", "orderid", "enduserid",
		"notificationid", "timestamp"}, optional: []string{"attributes"}}
	unknownSchema = schema{required: []string{"notificationid", "orderid"}, open: true}
)

// formats check the values of keys whose shape Trustly defines, whatever the method.
var formats = map[string]struct {
	valid func(string) bool
	what  string
}{
	"notificationid": {digits, "digits"},
	"orderid":        {digits, "digits"},
	"amount":         {positiveDecimal, "a positive decimal such as 100.00"},
	"currency":       {isoCurrency, "an ISO 4217 currency code"},
	"timestamp":      {timestamp, "a timestamp such as 2010-01-20 14:42:04.675645+01"},
	"accountid":      {accountID, "text without control characters or spaces at its ends"},
	"verified":       {flag, `"0" or "1"`},
	"abort":          {flag, `"0" or "1"`},
}

var (
	// methodText is the shape of Trustly's method names ("credit",
	// "payoutconfirmation"), known or not, within the 32 characters a stored
	// notification keeps of it (models.Notification.Method).
	methodText   = regexp.MustCompile(`^[a-z]{1,32}$`)
	uuidText     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	digitsText   = regexp.MustCompile(`^[0-9]{1,64}$`)
	decimalText  = regexp.MustCompile(`^[0-9]{1,15}(\.[0-9]{1,20})?$`)
	currencyText = regexp.MustCompile(`^[A-Z]{3}$`)
)

// textKeys are the keys any schema or format knows, other than attributes: their
// values must be text on every method, also on one this package does not know.
var textKeys = func() map[string]bool {
	keys := map[string]bool{}
	for _, s := range schemas {
		for _, k := range slices.Concat(s.required, s.optional) {
			keys[k] = k != "attributes"
		}
	}
	for k := range formats {
		keys[k] = true
	}
	return keys
}()

func digits(s string) bool { return digitsText.MatchString(s) }

func positiveDecimal(s string) bool {
	return decimalText.MatchString(s) && strings.Trim(s, "0.") != ""
}

func isoCurrency(s string) bool {
	if !currencyText.MatchString(s) {
		return false
	}
	u, err := iso4217.ParseISO(s)
	return err == nil && u != (iso4217.Unit{}) // XXX, "no currency", parses as the zero Unit
}

func timestamp(s string) bool {
	_, err := ParseTimestamp(s)
	return err == nil && s == strings.TrimSpace(s)
}

func flag(s string) bool { return s == "0" || s == "1" }

// accountID reports whether s may be an accountid we keep and send back as a
// payout's AccountID: Trustly's are digits (API.md §5.1), but some integrations
// send other text, so any printable text is taken, without whitespace at its
// ends and with no control or format character (a NUL, which PostgreSQL cannot
// keep, a newline, a right-to-left override, a zero-width space) nor any space
// but U+0020 inside.
func accountID(s string) bool {
	if s == "" || s != strings.TrimSpace(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// checkData checks d against method's schema: every required key present and not
// empty, no key a known method does not have, attributes an object, every other
// value text (a string, or a number kept as its literal text), and the values in
// formats well-formed, also on methods this package does not know.
func checkData(method string, d map[string]any) error {
	s, known := schemas[method]
	if !known {
		s = unknownSchema
	}
	allowed := map[string]bool{}
	for _, k := range slices.Concat(s.required, s.optional) {
		allowed[k] = true
	}
	for _, k := range SortedKeys(d) {
		if !allowed[k] && !s.open {
			return fmt.Errorf("unknown key %q", k)
		}
		if k == "attributes" {
			a, ok := d[k].(map[string]any)
			if !ok && d[k] != nil {
				return fmt.Errorf("attributes is %T, not an object", d[k])
			}
			if s.textAttributes {
				if err := textValues(a); err != nil {
					return err
				}
				if err := checkAttributes(attributeShapes[method], a); err != nil {
					return err
				}
			}
			continue
		}
		var text string
		switch v := d[k].(type) {
		case nil:
		case string:
			text = v
		case json.Number:
			text = string(v)
		default:
			if !s.open || textKeys[k] {
				return fmt.Errorf("%s is %T, not text", k, v)
			}
			continue
		}
		if f := formats[k]; f.valid != nil && text != "" && !f.valid(text) {
			return fmt.Errorf("%s %q is not %s", k, text, f.what)
		}
	}
	for _, k := range s.required {
		switch v := d[k].(type) {
		case nil:
			return fmt.Errorf("%s is required", k)
		case string:
			if v == "" {
				return fmt.Errorf("%s is required", k)
			}
		}
	}
	return nil
}

// textValues refuses an attributes object holding a value that is not text (a
// string, or a number kept as its literal text) or null: Trustly may send an
// attribute it has no value for as null (API.md: accept nulls), which is signed
// as "" and so hides nothing.
func textValues(a map[string]any) error {
	for _, k := range SortedKeys(a) {
		switch a[k].(type) {
		case string, json.Number, nil:
		default:
			return fmt.Errorf("attributes.%.32s is %T, not text", k, a[k])
		}
	}
	return nil
}

// shape is the form of one attribute value Trustly documents.
type shape struct {
	valid func(string) bool
	what  string
}

// attributeShapes are the attributes Trustly documents for account (API.md §5.4)
// and kyc (§5.5), each with its value's shape: the strict ones (lastdigits,
// clearinghouse, personid, zipcode, dob) refuse text shifted into them, and the
// free text (bank, descriptor, names, addresses) is one line of text. Other keys
// Trustly may add (a mandate's fields, kyc's gender) are not checked.
var attributeShapes = map[string]map[string]shape{
	MethodAccount: {
		"clearinghouse": clearingHouseShape, "bank": textShape, "descriptor": textShape, "lastdigits": lastDigitsShape,
		"personid": personIDShape, "name": textShape, "address": textShape, "zipcode": zipcodeShape, "city": textShape,
	},
	MethodKYC: {
		"personid": personIDShape, "firstname": textShape, "lastname": textShape, "dob": dobShape,
		"street": textShape, "zipcode": zipcodeShape, "city": textShape, "country": textShape,
	},
}

var (
	// lastDigitsShape: the end of the account number, "706212" (the sandbox sends
	// 6), digits only; no longer than the longest account number, an IBAN's 34
	// (one longer than its column is kept cut, models.BankAccount).
	lastDigitsShape = shape{regexp.MustCompile(`^[0-9]{1,34}$`).MatchString, "at most 34 digits"}
	// clearingHouseShape: SWEDEN, UNITED_KINGDOM, IBAN (API.md §10); one longer
	// than its column is kept cut.
	clearingHouseShape = shape{regexp.MustCompile(`^[A-Z][A-Z_]{1,63}$`).MatchString, "a clearing house code such as SWEDEN"}
	// personIDShape: a national identity number, its country code first where
	// Trustly gives one: SE197901311246, FI131052-308T, EE38001085718 (the
	// cashier checks the number of the countries it knows, paynplay.ParsePersonID).
	personIDShape = shape{regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z+-]{3,19}$`).MatchString,
		"a national identity number of at most 20 letters, digits, + and -"}
	zipcodeShape = shape{regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z -]{0,9}$`).MatchString,
		"a postal code of at most 10 letters, digits, spaces and -"}
	dobShape  = shape{func(s string) bool { return date(s) == nil }, "a date such as 1979-01-31"}
	textShape = shape{oneLine, "one line of text"}
)

// oneLine reports whether s is text without a control character (a newline, a NUL).
func oneLine(s string) bool { return !strings.ContainsFunc(s, unicode.IsControl) }

// checkAttributes checks an account's or kyc's attributes a (text values, see
// textValues) against shapes: each documented value in its shape, and no
// documented key missing while its name sits where text shifted between the
// attributes would leave it (shiftedAway).
func checkAttributes(shapes map[string]shape, a map[string]any) error {
	for _, k := range SortedKeys(a) {
		f, ok := shapes[k]
		text := ValueText(a[k])
		if ok && text != "" && !f.valid(text) {
			return fmt.Errorf("attributes.%s %.40q is not %s", k, text, f.what)
		}
	}
	return shiftedAway(shapes, a)
}

// ValueText is a JSON value as Trustly signs it when it is text: a string, a
// number's literal text (json.Number), and "" for null or anything else. An
// attribute's value is read with it, and so are the names a body refused for its
// shape carries (cashier's keepRefused).
func ValueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	}
	return ""
}

// shiftedAway refuses attributes a reshaped copy made by shifting text between
// them. The signed text is every key followed by its value, keys sorted, with no
// separator, so a copy keeps it whole while moving the boundaries: a value
// swallowing the keys after it ({"lastdigits":"1234nameMallory Smithpersonid…"}),
// a key taking its value's start ({"nameMallory":" Smith…"}), a key's name split
// across a value and a new key ({"name":"Mallory Smithper","sonid…":""}). A
// documented key (shapes) that is missing has its name left in the text where it
// was, and the copy is refused when that name starts
//   - in a key Trustly does not document, or its value, or
//   - in the value of a documented key sorting before it (only there can a
//     value have swallowed it: a value is signed before the keys that sort after
//     its own), running past that value's end or where a shift could have left
//     it (shiftable).
//
// A name split across a value and the next key starts in that value: a
// documented key's sorting before it, or an undocumented one's. It cannot start
// in a documented key's own name, nor in the value of one sorting after it: the
// key after would have to begin with the rest of the name and sort later, and no
// documented key's name ends, nor sorts, so.
//
// A documented key's value sorting after the missing key's name is genuine text
// ("Felicity Cityson" as name when no city comes), as is a documented key's name
// inside another's ("name" in "lastname"), and so is the name in a value sorting
// before it where no shift can have left it ("Velocity Bank" as bank on an account
// without the KYC add-on's city, "Bank of the city"). What a genuine one could
// still trip on is a value holding, in lower case and between two words' letters,
// the name of a documented key sorting after it that is missing, followed by
// text in that key's shape ("Velocityville Bank", city "ville Bank"): refused
// unanswered, Trustly delivers it again, and the alert names it.
func shiftedAway(shapes map[string]shape, a map[string]any) error {
	type token struct {
		start, end int
		key        string // the key this text is, or is the value of
		isKey      bool
	}
	var text strings.Builder
	var tokens []token
	for _, k := range SortedKeys(a) {
		for i, t := range []string{k, ValueText(a[k])} {
			start := text.Len()
			text.WriteString(t)
			tokens = append(tokens, token{start, text.Len(), k, i == 0})
		}
	}
	signed := text.String()
	for _, missing := range slices.Sorted(maps.Keys(shapes)) {
		if _, present := a[missing]; present {
			continue
		}
		for from := 0; ; {
			i := strings.Index(signed[from:], missing)
			if i < 0 {
				break
			}
			start := from + i
			from = start + 1
			t := tokens[0]
			for _, u := range tokens {
				if u.start <= start && start < u.end {
					t = u
					break
				}
			}
			_, documented := shapes[t.key]
			if !documented || (!t.isKey && t.key < missing && (start+len(missing) > t.end ||
				shiftable(signed[t.start:start], signed[start+len(missing):t.end], missing, shapes, a))) {
				return fmt.Errorf("attributes.%s missing and its name in attributes.%.32s: text shifted between attributes", missing, t.key)
			}
		}
	}
	return nil
}

// shiftable reports whether missing's name, found whole inside a documented
// value between before and after, is where a shift could have left it: that
// value swallowing the key with its value. The value would have ended at the
// name and the missing key's would begin after it, up to the name of the next
// documented key missing too (swallowed with it), if any. A shift moves whole
// values Trustly sent, so neither is where Trustly's trimmed text would have a
// space, the missing key's value is not empty (a shift of an empty one moves no
// value, only the key's name), and it has that key's shape.
func shiftable(before, after, missing string, shapes map[string]shape, a map[string]any) bool {
	for k := range shapes {
		if _, present := a[k]; !present && k > missing {
			if i := strings.Index(after, k); i >= 0 {
				after = after[:i]
			}
		}
	}
	first, _ := utf8.DecodeRuneInString(after)
	last, _ := utf8.DecodeLastRuneInString(before)
	return after != "" && !unicode.IsSpace(first) && (before == "" || !unicode.IsSpace(last)) &&
		shapes[missing].valid(after)
}

// SameEvent reports whether stored, a notification body received before under n's
// notificationid, tells the same as n: the same method and the same data, key for
// key and value for value as received (the number 11 is not the text "11"). It is
// the test that tells a redelivery from a different body under a known
// notificationid, which is refused (API.md §12.1 #9). Only the uuid may differ,
// since whether Trustly keeps it on a redelivery is unknown (§6.2); the data,
// timestamp included, is what Trustly stored and sends again. A stored body that
// cannot be read is not the same.
func (n *Notification) SameEvent(stored []byte) bool {
	m, err := ParseMessage(stored)
	if err != nil || m.Kind != KindNotification || m.Method != n.Method {
		return false
	}
	d, err := m.DataObject()
	if err != nil || len(d) != len(n.Tree) {
		return false
	}
	for k, v := range n.Tree {
		if w, ok := d[k]; !ok || !reflect.DeepEqual(v, w) {
			return false
		}
	}
	return true
}

// fieldReader reads scalar fields as text, remembering the first bad one.
type fieldReader struct {
	obj map[string]any
	err error
}

func (r *fieldReader) str(key string) string {
	switch v := r.obj[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return string(v)
	default:
		if r.err == nil {
			r.err = fmt.Errorf("%s is %T, not text", key, v)
		}
		return ""
	}
}

func (r *fieldReader) attributes() map[string]string {
	out := map[string]string{}
	switch a := r.obj["attributes"].(type) {
	case nil:
	case map[string]any:
		for k, v := range a {
			switch v := v.(type) {
			case string:
				out[k] = v
			case json.Number:
				out[k] = string(v)
			}
		}
	default:
		r.err = fmt.Errorf("attributes is %T, not an object", a)
	}
	return out
}

// Answer is the data of a notification response.
type Answer struct {
	Status  string // StatusOK, StatusFailed; for kyc StatusContinue or StatusFinish
	Message string // optional
	Limit   string // kyc CONTINUE only: the most the player may deposit, "5000.00"
}

// Validate checks that the status fits the notification method.
func (a Answer) Validate(method string) error {
	switch {
	case method == MethodKYC && a.Status != StatusContinue && a.Status != StatusFinish:
		return fmt.Errorf("a kyc notification is answered CONTINUE or FINISH, not %q", a.Status)
	case method != MethodKYC && a.Status != StatusOK && a.Status != StatusFailed:
		return fmt.Errorf("a %s notification is answered OK or FAILED, not %q", method, a.Status)
	case a.Limit != "" && (method != MethodKYC || a.Status != StatusContinue):
		return errors.New("limit goes only with a kyc CONTINUE")
	}
	return nil
}

func (a Answer) data() map[string]any {
	d := map[string]any{"status": a.Status}
	if a.Message != "" {
		d["message"] = a.Message
	}
	if a.Limit != "" {
		d["limit"] = a.Limit
	}
	return d
}

// EncodeAnswer builds the signed response to a notification, echoing its method and
// uuid as received.
func EncodeAnswer(key *rsa.PrivateKey, method, uuid string, a Answer) ([]byte, error) {
	if err := a.Validate(method); err != nil {
		return nil, err
	}
	return EncodeResult(key, method, uuid, a.data())
}

// ParseAnswer verifies a merchant's notification response against the notification
// it answers (Trustly's side of the exchange) and returns its data.
func ParseAnswer(raw []byte, merchantKey *rsa.PublicKey, method, uuid string) (Answer, error) {
	m, err := answerMessage(raw, method, uuid)
	if err != nil {
		return Answer{}, err
	}
	if err := m.Verify(merchantKey); err != nil {
		return Answer{}, err
	}
	return answerData(m, method)
}

// DecodeAnswer reads a notification response without verifying it: for the
// merchant reading back an answer it signed and stored itself, which a key
// rotated since would no longer verify. It checks what ParseAnswer checks but the
// signature.
func DecodeAnswer(raw []byte, method, uuid string) (Answer, error) {
	m, err := answerMessage(raw, method, uuid)
	if err != nil {
		return Answer{}, err
	}
	return answerData(m, method)
}

// answerMessage reads raw as the result answering notification method uuid.
func answerMessage(raw []byte, method, uuid string) (*Message, error) {
	m, err := ParseMessage(raw)
	if err != nil {
		return nil, err
	}
	if m.Kind != KindResult {
		return nil, fmt.Errorf("answer is a %s, not a result", m.Kind)
	}
	if m.Method != method || m.UUID != uuid {
		return nil, fmt.Errorf("%w: answer is for %s %s, not %s %s", ErrMismatch, m.Method, m.UUID, method, uuid)
	}
	return m, nil
}

// answerData is the Answer m carries, valid for method.
func answerData(m *Message, method string) (Answer, error) {
	d, err := m.DataObject()
	if err != nil {
		return Answer{}, err
	}
	r := fieldReader{obj: d}
	a := Answer{Status: r.str("status"), Message: r.str("message"), Limit: r.str("limit")}
	if r.err != nil {
		return Answer{}, r.err
	}
	if err := a.Validate(method); err != nil {
		return Answer{}, err
	}
	return a, nil
}

// ParseTimestamp reads Trustly's notification timestamp: "2010-01-20 14:42:04.675645+01",
// with 0–6 fraction digits and an offset of +HH or +HH:MM.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not in Trustly's format", s)
}

// FormatTimestamp writes t as Trustly does, in UTC with microseconds.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000000") + "+00"
}

// SortedKeys returns an object's keys in signing order; handy for tools and tests.
func SortedKeys(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
