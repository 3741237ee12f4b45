package trustly

import (
	"crypto/rsa"
	"encoding/json"
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
			// DecodeAnswer reads an answer the merchant stored, whatever key signed it.
			if got, err := DecodeAnswer(raw, tt.method, noteUUID); err != nil || got != tt.answer {
				t.Errorf("DecodeAnswer = %+v, %v; want %+v", got, err, tt.answer)
			}
			if _, err := DecodeAnswer(raw, tt.method, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, ErrMismatch) {
				t.Errorf("DecodeAnswer for another uuid: got %v, want ErrMismatch", err)
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

// reshape moves text between keys of a signed notification's data the way an
// attacker would, keeping the signature, uuid and method as they were.
func reshape(t *testing.T, raw []byte, change func(d map[string]any)) []byte {
	t.Helper()
	v, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	params := v.(map[string]any)["params"].(map[string]any)
	change(params["data"].(map[string]any))
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestParseNotificationReshaped: copies of genuine notifications whose keys and
// values were moved about still verify, since the signed text has no separators,
// and are refused by the schema.
func TestParseNotificationReshaped(t *testing.T) {
	credit := notification(t, MethodCredit, `{"amount":"902.50","currency":"EUR","messageid":"dep-1","orderid":"87654567",
		"enduserid":"p-abcfoo","notificationid":"9876543456","timestamp":"2010-01-20 14:42:04.675645+01","attributes":{}}`)
	account := notification(t, MethodAccount, `{"messageid":"sel-1","orderid":"87654567","notificationid":"9876543456",
		"accountid":"2853579240","verified":"1","attributes":{"bank":"Handelsbanken","lastdigits":"706212"}}`)
	payoutFailed := notification(t, MethodPayoutFailed, `{"amount":"800.00","currency":"SEK","messageid":"wd-1",
		"orderid":"87654567","enduserid":"player-1","notificationid":"9876543456","timestamp":"2024-01-20 09:11:02+01",
		"errorcode":"incorrect_account_number","errormessage":"The account number is incorrect"}`)
	cancel := notification(t, MethodCancel, `{"messageid":"dep-1","orderid":"87654567","enduserid":"player-1",
		"notificationid":"9876543456","timestamp":"2013-12-20 14:42:04.5+01","attributes":{}}`)
	holder := notification(t, MethodAccount, `{"messageid":"dep-1","orderid":"87654567","notificationid":"9876543456",
		"accountid":"2853579240","verified":"1","attributes":{"bank":"Handelsbanken","name":"Bertil Berg","personid":"SE197901311246"}}`)
	kyc := notification(t, MethodKYC, `{"orderid":"87654567","messageid":"dep-1","enduserid":"pnp-1","notificationid":"9876543456",
		"kycentityid":"29a750aa","attributes":{"personid":"SE197901311246","firstname":"Åsa","lastname":"Berg","dob":"1979-01-31","city":"Stockholm"}}`)
	hide := func(key string) func(d map[string]any) {
		return func(d map[string]any) {
			a := d["attributes"].(map[string]any)
			a[key[:1]] = map[string]any{key[1:]: a[key]}
			delete(a, key)
		}
	}
	for _, tt := range []struct {
		name   string
		raw    []byte
		change func(d map[string]any)
	}{
		{"timestamp moved into orderid", credit, func(d map[string]any) {
			d["orderid"] = d["orderid"].(string) + "timestamp" + d["timestamp"].(string)
			delete(d, "timestamp")
		}},
		{"currency moved into attributes", credit, func(d map[string]any) {
			d["attributes"] = map[string]any{"currency": d["currency"]}
			delete(d, "currency")
		}},
		{"messageid moved into enduserid", credit, func(d map[string]any) {
			d["enduserid"] = d["enduserid"].(string) + "messageid" + d["messageid"].(string)
			delete(d, "messageid")
		}},
		{"amount swallows attributes", credit, func(d map[string]any) {
			d["amount"] = d["amount"].(string) + "attributes"
			delete(d, "attributes")
		}},
		{"enduserid split into a new key", credit, func(d map[string]any) {
			d["enduserid"], d["foo"] = "p-abc", ""
		}},
		{"accountid swallows attributes", account, func(d map[string]any) {
			d["accountid"] = "2853579240attributesbankHandelsbankenlastdigits706212"
			delete(d, "attributes")
		}},
		{"an attribute moved out of attributes", account, func(d map[string]any) {
			d["attributes"] = map[string]any{"bank": "Handelsbanken"}
			d["lastdigits"] = "706212"
		}},
		{"enduserid swallows errorcode and errormessage", payoutFailed, func(d map[string]any) {
			d["enduserid"] = "player-1errorcodeincorrect_account_numbererrormessageThe account number is incorrect"
			delete(d, "errorcode")
			delete(d, "errormessage")
		}},
		{"enduserid moved into attributes", cancel, func(d map[string]any) {
			d["attributes"] = map[string]any{"enduserid": d["enduserid"]}
			delete(d, "enduserid")
		}},
		{"an account's holder name hidden in an object", holder, hide("name")},
		{"an account's personid hidden in an object", holder, hide("personid")},
		{"a kyc's city hidden in an object", kyc, hide("city")},
		{"a kyc's personid hidden in an array", kyc, func(d map[string]any) {
			a := d["attributes"].(map[string]any)
			a["personid"] = []any{a["personid"]}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw := reshape(t, tt.raw, tt.change)
			m, err := ParseMessage(raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Verify(&trustlyKey(t).PublicKey); err != nil {
				t.Fatalf("the reshaped copy does not verify, so it proves nothing: %v\n%s", err, raw)
			}
			if n, err := ParseNotification(raw, &trustlyKey(t).PublicKey); !errors.Is(err, ErrBadData) {
				t.Errorf("got %+v, %v; want ErrBadData\n%s", n, err, raw)
			}
		})
	}
	// Trustly may send an attribute it has no value for as null (API.md: accept
	// nulls when they come in); a null hides nothing, so it is accepted there too.
	holderNull := notification(t, MethodAccount, `{"messageid":"dep-1","orderid":"87654567","notificationid":"9876543456",
		"accountid":"2853579240","verified":"1","attributes":{"bank":"Handelsbanken","name":"Bertil Berg","address":null}}`)
	kycNull := notification(t, MethodKYC, `{"orderid":"87654567","messageid":"dep-1","enduserid":"pnp-1","notificationid":"9876543456",
		"kycentityid":"29a750aa","attributes":{"personid":"SE197901311246","firstname":"Åsa","lastname":"Berg","dob":"1979-01-31","city":null}}`)
	for _, raw := range [][]byte{credit, account, payoutFailed, cancel, holder, kyc, holderNull, kycNull} {
		if _, err := ParseNotification(raw, &trustlyKey(t).PublicKey); err != nil {
			t.Errorf("the genuine notification: %v\n%s", err, raw)
		}
	}
}

// TestParseNotificationSchema: verified notifications whose data does not fit
// their method are refused with ErrBadData; those that fit are accepted.
func TestParseNotificationSchema(t *testing.T) {
	credit := `{"amount":"902.50","currency":"EUR","messageid":"dep-1","orderid":"87654567","enduserid":"player-1",
		"notificationid":"9876543456","timestamp":"2010-01-20 14:42:04.675645+01","attributes":{}}`
	account := `{"messageid":"sel-1","orderid":"87654567","notificationid":"9876543456","accountid":"2853579240",
		"verified":"1","attributes":{}}`
	kyc := `{"orderid":"87654567","messageid":"pnp-1","enduserid":"pnp-5b8f2c","notificationid":"9876543456",
		"kycentityid":"29a750aa","attributes":{}}`
	unknown := `{"orderid":"87654567","notificationid":"9876543456"}`
	edit := func(data string, changes map[string]any) string {
		d := tree(t, data).(map[string]any)
		for k, v := range changes {
			if v == nil {
				delete(d, k)
			} else {
				d[k] = v
			}
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tt := range []struct {
		name, method, data string
		ok                 bool
	}{
		{"credit", MethodCredit, credit, true},
		{"amount as a number", MethodCredit, edit(credit, map[string]any{"amount": json.Number("902.5")}), true},
		{"amount with trailing zeros", MethodCredit, edit(credit, map[string]any{"amount": "902.500000"}), true},
		{"no attributes", MethodCredit, edit(credit, map[string]any{"attributes": nil}), true},
		{"attributes with new keys", MethodCredit, edit(credit, map[string]any{"attributes": map[string]any{"new": "1"}}), true},
		{"timestamp +HH:MM", MethodCredit, edit(credit, map[string]any{"timestamp": "2010-01-20 14:42:04+01:00"}), true},
		{"zero amount", MethodCredit, edit(credit, map[string]any{"amount": "0.00"}), false},
		{"zero amount as a number", MethodDebit, edit(credit, map[string]any{"amount": json.Number("0")}), false},
		{"negative amount", MethodCredit, edit(credit, map[string]any{"amount": "-10.00"}), false},
		{"negative amount as a number", MethodDebit, edit(credit, map[string]any{"amount": json.Number("-10")}), false},
		{"amount with an exponent", MethodCredit, edit(credit, map[string]any{"amount": json.Number("1e3")}), false},
		{"amount with a comma", MethodCredit, edit(credit, map[string]any{"amount": "902,50"}), false},
		{"amount with a space", MethodCredit, edit(credit, map[string]any{"amount": " 902.50"}), false},
		{"amount .50", MethodCredit, edit(credit, map[string]any{"amount": ".50"}), false},
		{"amount 1.", MethodCredit, edit(credit, map[string]any{"amount": "1."}), false},
		{"lower-case currency", MethodCredit, edit(credit, map[string]any{"currency": "eur"}), false},
		{"not an ISO 4217 currency", MethodCredit, edit(credit, map[string]any{"currency": "EUX"}), false},
		{"no currency XXX", MethodCredit, edit(credit, map[string]any{"currency": "XXX"}), false},
		{"four-letter currency", MethodCredit, edit(credit, map[string]any{"currency": "EURO"}), false},
		{"timestamp without offset", MethodCredit, edit(credit, map[string]any{"timestamp": "2010-01-20 14:42:04"}), false},
		{"timestamp with a trailing space", MethodCredit, edit(credit, map[string]any{"timestamp": "2010-01-20 14:42:04+01 "}), false},
		{"orderid not digits", MethodCredit, edit(credit, map[string]any{"orderid": "8765x4567"}), false},
		{"orderid negative", MethodCredit, edit(credit, map[string]any{"orderid": json.Number("-87654567")}), false},
		{"notificationid not digits", MethodCredit, edit(credit, map[string]any{"notificationid": "98765 43456"}), false},
		{"no timestamp", MethodCredit, edit(credit, map[string]any{"timestamp": nil}), false},
		{"no enduserid", MethodCredit, edit(credit, map[string]any{"enduserid": nil}), false},
		{"empty messageid", MethodPending, edit(credit, map[string]any{"messageid": ""}), false},
		{"an unknown key", MethodDebit, edit(credit, map[string]any{"tampered": "1"}), false},
		{"enduserid an object", MethodCredit, edit(credit, map[string]any{"enduserid": map[string]any{}}), false},
		{"payoutconfirmation without attributes", MethodPayoutConfirmation, edit(credit, map[string]any{"attributes": nil}), true},
		{"payoutfailed without errorcode", MethodPayoutFailed, edit(credit, map[string]any{"errormessage": "x"}), false},
		{"cancel with reason", MethodCancel, edit(credit, map[string]any{"amount": nil, "currency": nil,
			"attributes": map[string]any{"reason": "abandoned", "details": map[string]any{"a": "b"}}}), true},
		{"cancel with an amount", MethodCancel, credit, false},
		{"account", MethodAccount, account, true},
		{"account without attributes", MethodAccount, edit(account, map[string]any{"attributes": nil}), false},
		{"account verified yes", MethodAccount, edit(account, map[string]any{"verified": "yes"}), false},
		{"account with enduserid", MethodAccount, edit(account, map[string]any{"enduserid": "p-1"}), false},
		{"kyc", MethodKYC, kyc, true},
		{"kyc abort", MethodKYC, edit(kyc, map[string]any{"abort": "1", "abortmessage": "underage"}), true},
		{"kyc abort true", MethodKYC, edit(kyc, map[string]any{"abort": "true"}), false},
		{"kyc without kycentityid", MethodKYC, edit(kyc, map[string]any{"kycentityid": nil}), false},
		{"unknown method with new keys", "payoutdowngraded", edit(unknown, map[string]any{"new": map[string]any{"x": "1"}}), true},
		{"unknown method, orderid not digits", "payoutdowngraded", edit(unknown, map[string]any{"orderid": "o-1"}), false},
		{"unknown method, zero amount", "payoutdowngraded", edit(unknown, map[string]any{"amount": "0"}), false},
		{"unknown method, messageid an object", "payoutdowngraded", edit(unknown, map[string]any{"messageid": map[string]any{}}), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNotification(notification(t, tt.method, tt.data), &trustlyKey(t).PublicKey)
			if tt.ok && err != nil {
				t.Fatalf("got %v, want it accepted", err)
			}
			if !tt.ok && !errors.Is(err, ErrBadData) {
				t.Fatalf("got %+v, %v; want ErrBadData", n, err)
			}
		})
	}
	// The uuid is checked too: it fixes where the method ends and the data begins
	// in the signed text.
	raw, err := EncodeNotification(trustlyKey(t), MethodCredit, "dit5c7a9e10-4f2b-4d6c-8e8a-1b3d5f7a9c0e", tree(t, credit))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseNotification(raw, &trustlyKey(t).PublicKey); !errors.Is(err, ErrBadData) {
		t.Errorf("uuid not a UUID: got %v, want ErrBadData", err)
	}
}

// TestSameEvent: a redelivery may come with another uuid or timestamp; any other
// difference is another event under the same notificationid.
func TestSameEvent(t *testing.T) {
	credit := `{"amount":"902.50","currency":"EUR","messageid":"dep-1","orderid":"87654567","enduserid":"player-1",
		"notificationid":"9876543456","timestamp":"2010-01-20 14:42:04.675645+01","attributes":{}}`
	n, err := ParseNotification(notification(t, MethodCredit, credit), &trustlyKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(method, u, data string) []byte {
		raw, err := EncodeNotification(trustlyKey(t), method, u, tree(t, data))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	for _, tt := range []struct {
		name string
		raw  []byte
		same bool
	}{
		{"the same bytes", n.Raw, true},
		{"keys in another order, other spacing", sign(MethodCredit, noteUUID, `{ "attributes":{}, "timestamp":"2010-01-20 14:42:04.675645+01",
			"notificationid":"9876543456","enduserid":"player-1","orderid":"87654567","messageid":"dep-1","currency":"EUR","amount":"902.50"}`), true},
		{"another uuid", sign(MethodCredit, "6c7a9e10-4f2b-4d6c-8e8a-1b3d5f7a9c0e", credit), true},
		{"another timestamp", sign(MethodCredit, noteUUID, strings.Replace(credit, "14:42:04.675645", "14:43:00", 1)), false},
		{"another amount", sign(MethodCredit, noteUUID, strings.Replace(credit, "902.50", "902.51", 1)), false},
		{"the amount as a number", sign(MethodCredit, noteUUID, strings.Replace(credit, `"902.50"`, `902.50`, 1)), false},
		{"another method", sign(MethodDebit, noteUUID, credit), false},
		{"an attribute more", sign(MethodCredit, noteUUID, strings.Replace(credit, `{}`, `{"x":"1"}`, 1)), false},
		{"without attributes", sign(MethodCredit, noteUUID, strings.Replace(credit, `,"attributes":{}`, ``, 1)), false},
		{"reshaped", reshape(t, n.Raw, func(d map[string]any) {
			d["orderid"] = d["orderid"].(string) + "timestamp" + d["timestamp"].(string)
			delete(d, "timestamp")
		}), false},
		{"not JSON", []byte("{"), false},
		{"a result", []byte(`{"version":"1.1","result":{"signature":"x","uuid":"u","method":"credit","data":{}}}`), false},
	} {
		if got := n.SameEvent(tt.raw); got != tt.same {
			t.Errorf("%s: SameEvent = %t, want %t", tt.name, got, tt.same)
		}
	}
}
