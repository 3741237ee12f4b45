package trustly

import (
	"crypto/rsa"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

const noteUUID = "5c7a9e10-4f2b-4d6c-8e8a-1b3d5f7a9c0e"

// notification signs data (JSON text) as Trustly's side would.
func notification(t *testing.T, method, data string) []byte {
	t.Helper()
	raw, err := EncodeNotification(trustlyKey(t), method, noteUUID, tree(t, data))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestParseNotificationMethods(t *testing.T) {
	transfer := `{"amount":"902.50","currency":"EUR","messageid":"dep-1","orderid":"87654567","enduserid":"player-1",
		"notificationid":"9876543456","timestamp":"2010-01-20 14:42:04.675645+01","attributes":{}}`
	common := Common{NotificationID: "9876543456", OrderID: "87654567", MessageID: "dep-1", EndUserID: "player-1",
		Attributes: map[string]string{}}
	for _, tt := range []struct {
		method string
		data   string
		want   any
	}{
		{MethodPending, transfer, &TransferData{Common: common, Amount: "902.50", Currency: "EUR",
			Timestamp: "2010-01-20 14:42:04.675645+01"}},
		{MethodCredit, transfer, &TransferData{Common: common, Amount: "902.50", Currency: "EUR",
			Timestamp: "2010-01-20 14:42:04.675645+01"}},
		{MethodDebit, transfer, &TransferData{Common: common, Amount: "902.50", Currency: "EUR",
			Timestamp: "2010-01-20 14:42:04.675645+01"}},
		{MethodCancel, `{"messageid":"dep-1","orderid":"87654567","enduserid":"player-1","notificationid":"9876543456",
			"timestamp":"2013-12-20 14:42:04.5+01","attributes":{"reason":"abandoned","details":{"nested":"left out"}}}`,
			&CancelData{Common: Common{NotificationID: "9876543456", OrderID: "87654567", MessageID: "dep-1",
				EndUserID: "player-1", Attributes: map[string]string{"reason": "abandoned"}},
				Timestamp: "2013-12-20 14:42:04.5+01"}},
		{MethodAccount, `{"messageid":"sel-1","orderid":"87654567","notificationid":"9876543456","accountid":"2853579240",
			"verified":"1","attributes":{"bank":"Handelsbanken","descriptor":"**706212"}}`,
			&AccountData{Common: Common{NotificationID: "9876543456", OrderID: "87654567", MessageID: "sel-1",
				Attributes: map[string]string{"bank": "Handelsbanken", "descriptor": "**706212"}},
				AccountID: "2853579240", Verified: true}},
		{MethodPayoutConfirmation, `{"amount":11,"currency":"SEK","messageid":"wd-1","orderid":"87654567",
			"enduserid":"player-1","notificationid":"9876543456","timestamp":"2024-01-20 09:11:02+01"}`,
			&PayoutData{Common: Common{NotificationID: "9876543456", OrderID: "87654567", MessageID: "wd-1",
				EndUserID: "player-1", Attributes: map[string]string{}}, Amount: "11", Currency: "SEK",
				Timestamp: "2024-01-20 09:11:02+01"}},
		{MethodPayoutFailed, `{"amount":"800.00","currency":"SEK","messageid":"wd-1","orderid":"87654567",
			"enduserid":"player-1","notificationid":"9876543456","timestamp":"2024-01-20 09:11:02+01",
			"errorcode":"incorrect_account_number","errormessage":"The account number is incorrect"}`,
			&PayoutData{Common: Common{NotificationID: "9876543456", OrderID: "87654567", MessageID: "wd-1",
				EndUserID: "player-1", Attributes: map[string]string{}}, Amount: "800.00", Currency: "SEK",
				Timestamp: "2024-01-20 09:11:02+01", ErrorCode: "incorrect_account_number",
				ErrorMessage: "The account number is incorrect"}},
		{MethodKYC, `{"orderid":"87654567","messageid":"pnp-1","enduserid":"pnp-5b8f2c","notificationid":"9876543456",
			"kycentityid":"29a750aa","abort":"1","abortmessage":"underage","attributes":{"personid":"SE196512171957","dob":"2010-12-17"}}`,
			&KYCData{Common: Common{NotificationID: "9876543456", OrderID: "87654567", MessageID: "pnp-1",
				EndUserID: "pnp-5b8f2c", Attributes: map[string]string{"personid": "SE196512171957", "dob": "2010-12-17"}},
				KYCEntityID: "29a750aa", Abort: true, AbortMessage: "underage"}},
		{"payoutdowngraded", `{"orderid":"87654567","notificationid":"9876543456","messageid":"wd-1","new":null}`,
			&UnknownData{Common: Common{NotificationID: "9876543456", OrderID: "87654567", MessageID: "wd-1",
				Attributes: map[string]string{}}}},
	} {
		t.Run(tt.method, func(t *testing.T) {
			n, err := ParseNotification(notification(t, tt.method, tt.data), &trustlyKey(t).PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if n.Method != tt.method || n.UUID != noteUUID || n.ID() != "9876543456" || n.OrderID() != "87654567" {
				t.Errorf("got %s %s id %s order %s, want %s %s id 9876543456 order 87654567",
					n.Method, n.UUID, n.ID(), n.OrderID(), tt.method, noteUUID)
			}
			if !reflect.DeepEqual(n.Data, tt.want) {
				t.Errorf("data\ngot  %#v\nwant %#v", n.Data, tt.want)
			}
		})
	}
}

func TestParseNotificationRejects(t *testing.T) {
	credit := `{"amount":"902.50","currency":"EUR","messageid":"dep-1","orderid":"87654567","enduserid":"player-1",
		"notificationid":"9876543456","timestamp":"2010-01-20 14:42:04.675645+01","attributes":{}}`
	good := string(notification(t, MethodCredit, credit))
	other := string(notification(t, MethodCredit, strings.Replace(credit, "902.50", "9025.00", 1)))
	wrongKey, err := EncodeNotification(merchantKey(t), MethodCredit, noteUUID, tree(t, credit))
	if err != nil {
		t.Fatal(err)
	}
	sigOf := func(raw string) string {
		m, err := ParseMessage([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return m.Signature
	}
	for _, tt := range []struct {
		name   string
		raw    string
		badSig bool
	}{
		{"tampered amount", strings.Replace(good, "902.50", "9025.00", 1), true},
		{"tampered method", strings.Replace(good, `"method":"credit"`, `"method":"debit"`, 1), true},
		{"tampered uuid", strings.Replace(good, noteUUID, strings.Replace(noteUUID, "5c", "6c", 1), 1), true},
		{"extra key", strings.Replace(good, `"attributes":{}`, `"attributes":{"x":"1"}`, 1), true},
		{"unsigned", strings.Replace(good, `"signature":"`+sigOf(good)+`",`, "", 1), true},
		{"empty signature", strings.Replace(good, sigOf(good), "", 1), true},
		{"signature of another notification", strings.Replace(good, sigOf(good), sigOf(other), 1), true},
		{"signed with the wrong key", string(wrongKey), true},
		{"signature not base64", strings.Replace(good, sigOf(good), "!!!", 1), true},
		{"unknown alg prefix", strings.Replace(good, sigOf(good), "alg=RS1024;"+sigOf(good), 1), true},
		{"a result, not a notification", `{"version":"1.1","result":{"signature":"x","uuid":"u","method":"credit","data":{}}}`, false},
		{"a request, not a notification", `{"method":"Deposit","version":"1.1","params":{"Signature":"x","UUID":"u","Data":{}}}`, false},
		{"not JSON", `{"method":"credit"`, false},
		{"invalid UTF-8", "{\"method\":\"credit\xff\",\"params\":{}}", false},
		{"params not an object", `{"method":"credit","params":"x"}`, false},
		{"no notificationid", string(notification(t, MethodCredit, strings.Replace(credit, `"notificationid":"9876543456",`, "", 1))), false},
		{"no orderid", string(notification(t, MethodCredit, strings.Replace(credit, `"orderid":"87654567",`, "", 1))), false},
		{"no amount on credit", string(notification(t, MethodCredit, strings.Replace(credit, `"amount":"902.50",`, "", 1))), false},
		{"no method", string(notification(t, "", credit)), false},
		{"attributes an array", string(notification(t, MethodCredit, strings.Replace(credit, `"attributes":{}`, `"attributes":[]`, 1))), false},
		{"amount an object", string(notification(t, MethodCredit, strings.Replace(credit, `"902.50"`, `{"v":"902.50"}`, 1))), false},
		{"data an array", string(notification(t, MethodCredit, `[]`)), false},
		{"account without accountid", string(notification(t, MethodAccount, `{"orderid":"1","notificationid":"2"}`)), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNotification([]byte(tt.raw), &trustlyKey(t).PublicKey)
			if err == nil {
				t.Fatalf("got %+v, want an error", n)
			}
			if tt.badSig && !errors.Is(err, ErrBadSignature) {
				t.Errorf("got %v, want ErrBadSignature", err)
			}
		})
	}
	if _, err := ParseNotification([]byte(good), &trustlyKey(t).PublicKey); err != nil {
		t.Errorf("the untampered notification: %v", err)
	}
}

func TestAnswerRoundTrip(t *testing.T) {
	key := merchantKey(t)
	for _, tt := range []struct {
		method string
		answer Answer
	}{
		{MethodCredit, Answer{Status: StatusOK}},
		{MethodPending, Answer{Status: StatusOK}},
		{MethodDebit, Answer{Status: StatusFailed, Message: "order not found: 87654567"}},
		{MethodAccount, Answer{Status: StatusOK}},
		{MethodKYC, Answer{Status: StatusContinue, Limit: "5000.00"}},
		{MethodKYC, Answer{Status: StatusFinish, Message: "self-excluded"}},
		{"payoutdowngraded", Answer{Status: StatusOK}},
	} {
		t.Run(tt.method+" "+tt.answer.Status, func(t *testing.T) {
			raw, err := EncodeAnswer(key, tt.method, noteUUID, tt.answer)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseAnswer(raw, &key.PublicKey, tt.method, noteUUID)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.answer {
				t.Errorf("got %+v, want %+v", got, tt.answer)
			}
			if _, err := ParseAnswer(raw, &trustlyKey(t).PublicKey, tt.method, noteUUID); !errors.Is(err, ErrBadSignature) {
				t.Errorf("with the wrong key: got %v, want ErrBadSignature", err)
			}
			if _, err := ParseAnswer(raw, &key.PublicKey, tt.method, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, ErrMismatch) {
				t.Errorf("for another uuid: got %v, want ErrMismatch", err)
			}
			if _, err := ParseAnswer(raw, &key.PublicKey, "other", noteUUID); !errors.Is(err, ErrMismatch) {
				t.Errorf("for another method: got %v, want ErrMismatch", err)
			}
		})
	}
}

func TestAnswerWrongStatusRefused(t *testing.T) {
	key := merchantKey(t)
	for _, tt := range []struct {
		method string
		answer Answer
	}{
		{MethodCredit, Answer{Status: StatusContinue}},
		{MethodCredit, Answer{Status: "ok"}},
		{MethodCredit, Answer{}},
		{MethodCredit, Answer{Status: StatusOK, Limit: "10.00"}},
		{MethodKYC, Answer{Status: StatusOK}},
		{MethodKYC, Answer{Status: StatusFailed}},
		{MethodKYC, Answer{Status: StatusFinish, Limit: "10.00"}},
	} {
		t.Run(tt.method+" "+tt.answer.Status, func(t *testing.T) {
			if raw, err := EncodeAnswer(key, tt.method, noteUUID, tt.answer); err == nil {
				t.Errorf("EncodeAnswer gave %s, want an error", raw)
			}
			// An answer signed correctly but with a status the method does not take.
			raw, err := EncodeResult(key, tt.method, noteUUID, tt.answer.data())
			if err != nil {
				t.Fatal(err)
			}
			if a, err := ParseAnswer(raw, &key.PublicKey, tt.method, noteUUID); err == nil {
				t.Errorf("ParseAnswer gave %+v, want an error", a)
			}
		})
	}
}

// envelope wraps a vector's triple as it travels, keeping data_json's bytes.
func envelope(kind, method, uuid, signature, dataJSON string) []byte {
	q := strconv.Quote
	switch kind {
	case "notification":
		return []byte(`{"method":` + q(method) + `,"version":"1.1","params":{"signature":` + q(signature) +
			`,"uuid":` + q(uuid) + `,"data":` + dataJSON + `}}`)
	case "request":
		return []byte(`{"method":` + q(method) + `,"version":"1.1","params":{"Signature":` + q(signature) +
			`,"UUID":` + q(uuid) + `,"Data":` + dataJSON + `}}`)
	}
	return []byte(`{"version":"1.1","result":{"signature":` + q(signature) + `,"uuid":` + q(uuid) +
		`,"method":` + q(method) + `,"data":` + dataJSON + `}}`)
}

func TestNotificationVectors(t *testing.T) {
	seen := 0
	for _, v := range loadVectors(t) {
		if v.Kind != "notification" && v.Kind != "notification-response" {
			continue
		}
		seen++
		t.Run(v.Name, func(t *testing.T) {
			right, wrong := keyFor(t, v)
			parse := func(raw []byte, pub *rsa.PublicKey, method, uuid string) error {
				if v.Kind == "notification" {
					n, err := ParseNotification(raw, pub)
					if err == nil {
						switch d := n.Data.(type) {
						case *TransferData:
							_, err = ParseTimestamp(d.Timestamp)
						case *CancelData:
							_, err = ParseTimestamp(d.Timestamp)
						}
					}
					return err
				}
				_, err := ParseAnswer(raw, pub, method, uuid)
				return err
			}
			raw := envelope(v.Kind, v.Method, v.UUID, v.Signature, v.DataJSON)
			if err := parse(raw, right, v.Method, v.UUID); err != nil {
				t.Errorf("golden %s: %v", v.Kind, err)
			}
			if err := parse(raw, wrong, v.Method, v.UUID); err == nil {
				t.Errorf("golden %s verifies with the other key", v.Kind)
			}
			for _, c := range v.Checks {
				raw := envelope(v.Kind, c.Method, c.UUID, v.Signature, c.DataJSON)
				if err := parse(raw, right, c.Method, c.UUID); (err == nil) != c.ExpectVerified {
					t.Errorf("check %s: accepted %t, want %t (%v)", c.What, err == nil, c.ExpectVerified, err)
				}
			}
		})
	}
	if seen != 10 {
		t.Errorf("got %d notification vectors, want 10", seen)
	}
}

func TestParseTimestamp(t *testing.T) {
	cet := time.FixedZone("", 3600)
	for _, tt := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2010-01-20 14:42:04.675645+01", time.Date(2010, 1, 20, 14, 42, 4, 675645000, cet), true},
		{"2010-01-20 14:42:04.61671+01", time.Date(2010, 1, 20, 14, 42, 4, 616710000, cet), true},
		{"2010-01-20 14:42:04.5+01", time.Date(2010, 1, 20, 14, 42, 4, 500000000, cet), true},
		{"2010-01-20 14:42:04+01", time.Date(2010, 1, 20, 14, 42, 4, 0, cet), true},
		{"2010-01-20 14:42:04.123+01:00", time.Date(2010, 1, 20, 14, 42, 4, 123000000, cet), true},
		{"2010-01-20 14:42:04+05:30", time.Date(2010, 1, 20, 14, 42, 4, 0, time.FixedZone("", 5*3600+1800)), true},
		{"2010-01-20 14:42:04.1-03", time.Date(2010, 1, 20, 14, 42, 4, 100000000, time.FixedZone("", -3*3600)), true},
		{"2010-01-20 13:42:04.000000+00", time.Date(2010, 1, 20, 13, 42, 4, 0, time.UTC), true},
		{"2010-01-20 14:42:04", time.Time{}, false},
		{"2010-01-20T14:42:04+01", time.Time{}, false},
		{"2010-13-20 14:42:04+01", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := ParseTimestamp(tt.in)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v, ok %t", tt.in, got, err, tt.want, tt.ok)
			continue
		}
		if _, off := got.Zone(); tt.ok && off != func() int { _, o := tt.want.Zone(); return o }() {
			t.Errorf("ParseTimestamp(%q) offset %d; want that of %v", tt.in, off, tt.want)
		}
	}
	now := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("", 7200))
	got, err := ParseTimestamp(FormatTimestamp(now))
	if want := now.Truncate(time.Microsecond); err != nil || !got.Equal(want) {
		t.Errorf("ParseTimestamp(FormatTimestamp(%v)) = %v, %v; want %v", now, got, err, want)
	}
}
