package trustly

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
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

// ParseNotification verifies raw with Trustly's public key and only then decodes it
// into the typed value for its method. Every value is read as text; a missing
// notificationid or orderid is an error.
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
// cannot or need not trust. Code that acts on a notification uses ParseNotification.
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
	r := fieldReader{obj: d}
	c := Common{
		NotificationID: r.str("notificationid"),
		OrderID:        r.str("orderid"),
		MessageID:      r.str("messageid"),
		EndUserID:      r.str("enduserid"),
		Attributes:     r.attributes(),
	}
	if r.err != nil {
		return nil, fmt.Errorf("notification %s: %w", m.Method, r.err)
	}
	if c.NotificationID == "" || c.OrderID == "" {
		return nil, fmt.Errorf("notification %s: notificationid and orderid are required", m.Method)
	}
	n := &Notification{Method: m.Method, UUID: m.UUID, Tree: d, Raw: m.Raw}
	switch m.Method {
	case MethodPending, MethodCredit, MethodDebit:
		t := &TransferData{Common: c, Amount: r.str("amount"), Currency: r.str("currency"), Timestamp: r.str("timestamp")}
		if t.Amount == "" || t.Currency == "" {
			return nil, fmt.Errorf("notification %s: amount and currency are required", m.Method)
		}
		n.Data = t
	case MethodCancel:
		n.Data = &CancelData{Common: c, Timestamp: r.str("timestamp")}
	case MethodAccount:
		a := &AccountData{Common: c, AccountID: r.str("accountid"), Verified: r.str("verified") == "1"}
		if a.AccountID == "" {
			return nil, errors.New("notification account: accountid is required")
		}
		n.Data = a
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
	m, err := ParseMessage(raw)
	if err != nil {
		return Answer{}, err
	}
	if m.Kind != KindResult {
		return Answer{}, fmt.Errorf("answer is a %s, not a result", m.Kind)
	}
	if m.Method != method || m.UUID != uuid {
		return Answer{}, fmt.Errorf("%w: answer is for %s %s, not %s %s", ErrMismatch, m.Method, m.UUID, method, uuid)
	}
	if err := m.Verify(merchantKey); err != nil {
		return Answer{}, err
	}
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
