package trustly

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// shift is one reshape of a genuine account or kyc notification's attributes:
// text moved between their keys and values, which the signature does not see.
type shift struct {
	name   string
	change func(a map[string]any)
}

// merge makes key's value swallow the keys (and their values) in swallowed, in
// signing order, as a reshaped copy would: the signed text stays the same.
func merge(key string, swallowed ...string) func(a map[string]any) {
	return func(a map[string]any) {
		v := a[key].(string)
		for _, k := range swallowed {
			v += k + a[k].(string)
			delete(a, k)
		}
		a[key] = v
	}
}

// accountShifts are reshapes of genuineAccount's attributes (sorted: address,
// bank, city, clearinghouse, descriptor, lastdigits, name, personid, zipcode).
var accountShifts = []shift{
	{"lastdigits swallows name and personid", merge("lastdigits", "name", "personid")},
	{"name swallows personid", merge("name", "personid")},
	{"descriptor swallows lastdigits", merge("descriptor", "lastdigits")},
	{"clearinghouse swallows descriptor", merge("clearinghouse", "descriptor")},
	{"bank swallows city", merge("bank", "city")},
	{"address swallows bank", merge("address", "bank")},
	{"bank swallows city and clearinghouse", merge("bank", "city", "clearinghouse")},

	{"city swallows clearinghouse", merge("city", "clearinghouse")},
	{"personid swallows zipcode", merge("personid", "zipcode")},
	{"name's key takes its value's start", func(a map[string]any) {
		// {"nameBertil": " BergpersonidSE…"}: name and personid gone, an unknown key.
		a["nameBertil"] = " Berg" + "personid" + a["personid"].(string)
		delete(a, "name")
		delete(a, "personid")
	}},
	{"personid split across a value and a new key", func(a map[string]any) {
		// {"name": "Bertil Bergper", "sonidSE…": ""}.
		a["name"] = a["name"].(string) + "per"
		a["sonid"+a["personid"].(string)] = ""
		delete(a, "personid")
	}},
	{"lastdigits split into a new key", func(a map[string]any) {
		// {"descriptor": "**706212last", "digits": "706212"}.
		a["descriptor"] = a["descriptor"].(string) + "last"
		a["digits"] = a["lastdigits"]
		delete(a, "lastdigits")
	}},
}

// kycShifts are reshapes of genuineKYC's attributes (sorted: city, country, dob,
// firstname, lastname, personid, street, zipcode).
var kycShifts = []shift{
	{"lastname swallows personid", merge("lastname", "personid")},
	{"city swallows country", merge("city", "country")},
	{"street swallows zipcode", merge("street", "zipcode")},
	{"dob swallows firstname", merge("dob", "firstname")},
	{"country swallows dob", merge("country", "dob")},
	{"firstname swallows lastname", merge("firstname", "lastname")},
	{"personid swallows street", merge("personid", "street")},
	{"a new key takes city", func(a map[string]any) {
		a["citySTOCK"] = "HOLM"
		delete(a, "city")
	}},
}

const (
	genuineAccount = `{"messageid":"sel-1","orderid":"87654567","notificationid":"9876543456","accountid":"2853579240",
		"verified":"1","attributes":{"clearinghouse":"SWEDEN","bank":"Handelsbanken","descriptor":"**706212",
		"lastdigits":"706212","name":"Bertil Berg","personid":"SE197901311246","address":"Kungsgatan 1",
		"zipcode":"111 22","city":"Stockholm"}}`
	genuineKYC = `{"orderid":"87654567","messageid":"dep-1","enduserid":"pnp-1","notificationid":"9876543456",
		"kycentityid":"29a750aa","attributes":{"personid":"SE197901311246","firstname":"Åsa","lastname":"Berg",
		"dob":"1979-01-31","street":"Street 10","zipcode":"11253","city":"STOCKHOLM","country":"SE"}}`
)

// TestAttributesShifted: the signed text joins the attributes' keys and values
// with no separator, so text shifted between them, flat, keeps the signature: an
// account's lastdigits swallowing its name and personid, a key taking the start
// of its value, a key's name split across a value and a new key. Each such copy
// of a genuine account or kyc notification verifies and is refused (ErrBadData),
// either for a value out of its documented shape or for a documented key missing
// while its name sits where the shift left it; the genuine ones are accepted.
func TestAttributesShifted(t *testing.T) {
	for _, g := range []struct {
		method, data string
		shifts       []shift
	}{{MethodAccount, genuineAccount, accountShifts}, {MethodKYC, genuineKYC, kycShifts}} {
		genuine := notification(t, g.method, g.data)
		if _, err := ParseNotification(genuine, &trustlyKey(t).PublicKey); err != nil {
			t.Fatalf("the genuine %s: %v", g.method, err)
		}
		for _, s := range g.shifts {
			t.Run(g.method+"/"+s.name, func(t *testing.T) {
				raw := reshape(t, genuine, func(d map[string]any) { s.change(d["attributes"].(map[string]any)) })
				m, err := ParseMessage(raw)
				if err != nil {
					t.Fatal(err)
				}
				if err := m.Verify(&trustlyKey(t).PublicKey); err != nil {
					t.Fatalf("the reshaped copy does not verify, so it proves nothing: %v\n%s", err, raw)
				}
				if _, err := ParseNotification(raw, &trustlyKey(t).PublicKey); !errors.Is(err, ErrBadData) {
					t.Errorf("got %v; want ErrBadData for the attributes %s", err, attributesOf(t, raw))
				}
			})
		}
	}
}

// TestAttributesShiftedFreeText: a genuine value may hold a documented key's
// name in lower case (TestAttributesShape), but that does not hide a shift made
// next to it: the name the shift left is refused wherever the bank's own is not.
func TestAttributesShiftedFreeText(t *testing.T) {
	for _, tt := range []struct {
		name, method, data string
		change             func(a map[string]any)
	}{
		{"bank Velocity Bank swallows city", MethodAccount, `{"messageid":"sel-1","orderid":"87654567","notificationid":"9876543456",
			"accountid":"2853579240","verified":"1","attributes":{"clearinghouse":"SWEDEN","bank":"Velocity Bank",
			"lastdigits":"706212","name":"Bertil Berg","city":"Stockholm"}}`, merge("bank", "city")},
		{"bank of the city swallows city", MethodAccount, `{"messageid":"sel-1","orderid":"87654567","notificationid":"9876543456",
			"accountid":"2853579240","verified":"1","attributes":{"clearinghouse":"SWEDEN","bank":"Bank of the city",
			"lastdigits":"706212","name":"Bertil Berg","city":"Stockholm"}}`, merge("bank", "city")},
		{"name swallows an empty personid and zipcode", MethodAccount, `{"messageid":"sel-1","orderid":"87654567",
			"notificationid":"9876543456","accountid":"2853579240","verified":"1","attributes":{"bank":"Nordea",
			"lastdigits":"706212","name":"Bertil Berg","personid":"","zipcode":"111 22"}}`, merge("name", "personid", "zipcode")},
		{"name swallows personid and an empty zipcode", MethodAccount, `{"messageid":"sel-1","orderid":"87654567",
			"notificationid":"9876543456","accountid":"2853579240","verified":"1","attributes":{"bank":"Nordea",
			"lastdigits":"706212","name":"Bertil Berg","personid":"SE197901311246","zipcode":""}}`, merge("name", "personid", "zipcode")},
		{"city New York swallows country", MethodKYC, `{"orderid":"87654567","messageid":"dep-1","enduserid":"pnp-1",
			"notificationid":"9876543456","kycentityid":"29a750aa","attributes":{"firstname":"Jan","lastname":"Vries",
			"dob":"1975-07-14","city":"New York","country":"US"}}`, merge("city", "country")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			genuine := notification(t, tt.method, tt.data)
			if _, err := ParseNotification(genuine, &trustlyKey(t).PublicKey); err != nil {
				t.Fatalf("the genuine %s: %v", tt.method, err)
			}
			raw := reshape(t, genuine, func(d map[string]any) { tt.change(d["attributes"].(map[string]any)) })
			if m, err := ParseMessage(raw); err != nil || m.Verify(&trustlyKey(t).PublicKey) != nil {
				t.Fatalf("the reshaped copy does not verify, so it proves nothing: %v\n%s", err, raw)
			}
			if _, err := ParseNotification(raw, &trustlyKey(t).PublicKey); !errors.Is(err, ErrBadData) {
				t.Errorf("got %v; want ErrBadData for the attributes %s", err, attributesOf(t, raw))
			}
		})
	}
}

// attributesOf is the attributes object of a notification, as JSON.
func attributesOf(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.DataObject()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(d["attributes"])
	return string(b)
}

// TestAttributesShiftedOutOfAttributes: the last attribute's value swallowing
// the data's keys after attributes, or the data key before attributes swallowing
// them, leaves a required key missing: refused as before.
func TestAttributesShiftedOutOfAttributes(t *testing.T) {
	account := notification(t, MethodAccount, genuineAccount)
	kyc := notification(t, MethodKYC, genuineKYC)
	for _, tt := range []struct {
		name   string
		raw    []byte
		change func(d map[string]any)
	}{
		{"an account's zipcode swallows messageid and the rest", account, func(d map[string]any) {
			a := d["attributes"].(map[string]any)
			a["zipcode"] = a["zipcode"].(string) + "messageid" + d["messageid"].(string) + "notificationid" +
				d["notificationid"].(string) + "orderid" + d["orderid"].(string) + "verified" + d["verified"].(string)
			for _, k := range []string{"messageid", "notificationid", "orderid", "verified"} {
				delete(d, k)
			}
		}},
		{"a kyc's zipcode swallows enduserid", kyc, func(d map[string]any) {
			a := d["attributes"].(map[string]any)
			a["zipcode"] = a["zipcode"].(string) + "enduserid" + d["enduserid"].(string)
			delete(d, "enduserid")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw := reshape(t, tt.raw, tt.change)
			if m, err := ParseMessage(raw); err != nil || m.Verify(&trustlyKey(t).PublicKey) != nil {
				t.Fatalf("the reshaped copy does not verify, so it proves nothing: %v\n%s", err, raw)
			}
			if n, err := ParseNotification(raw, &trustlyKey(t).PublicKey); !errors.Is(err, ErrBadData) {
				t.Errorf("got %+v, %v; want ErrBadData\n%s", n, err, raw)
			}
		})
	}
}

// TestAttributesShape: each documented attribute whose shape Trustly gives is
// checked (lastdigits digits, clearinghouse a code, dob a date, a personid, a
// zipcode, plain one-line text elsewhere), and genuine variants pass: free text
// in bank names and addresses, a name with "city" in it where no city comes
// (it sorts after city, where no shift puts a city), a bank account without the
// KYC add-on's keys, null for a value Trustly has not, keys Trustly adds.
func TestAttributesShape(t *testing.T) {
	account := func(attrs string) []byte {
		return notification(t, MethodAccount, `{"messageid":"sel-1","orderid":"87654567","notificationid":"9876543456",
			"accountid":"2853579240","verified":"1","attributes":`+attrs+`}`)
	}
	kyc := func(attrs string) []byte {
		return notification(t, MethodKYC, `{"orderid":"87654567","messageid":"dep-1","enduserid":"pnp-1",
			"notificationid":"9876543456","kycentityid":"29a750aa","attributes":`+attrs+`}`)
	}
	for _, tt := range []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"account without the KYC add-on", account(`{"clearinghouse":"SWEDEN","bank":"Handelsbanken","descriptor":"**706212","lastdigits":"706212"}`), true},
		{"account of an IBAN country", account(`{"clearinghouse":"UNITED_KINGDOM","bank":"Lloyds Bank","descriptor":"****5678","lastdigits":"5678"}`), true},
		{"a holder named Felicity Cityside, no city", account(`{"clearinghouse":"SWEDEN","bank":"Nordea","lastdigits":"1234","name":"Felicity Cityside citywise"}`), true},
		{"an address with a bank in it", account(`{"bank":"Nordea","address":"Riverside 1, c/o the Bank","city":"Banks","name":"Ann Namesake"}`), true},
		{"a personid without country code", account(`{"bank":"Handelsbanken","personid":"N197901311234","name":"Åsa Öberg-Lindqvist"}`), true},
		{"a key Trustly added", account(`{"bank":"Handelsbanken","lastdigits":"706212","directdebitmandate":"0"}`), true},
		{"null values", account(`{"bank":"Handelsbanken","lastdigits":null,"name":null,"personid":null}`), true},
		{"empty attributes", account(`{}`), true},
		// A documented key's name in lower case inside the free text of a key
		// sorting before it, where that key is missing, where no shift can have
		// left it: with a space or the value's end after it (a shifted value would
		// begin there), a space before it (a shifted value would end there), or
		// followed by text out of the missing key's shape.
		{"a bank named Velocity Bank, no city", account(`{"clearinghouse":"SWEDEN","bank":"Velocity Bank","descriptor":"**706212","lastdigits":"706212"}`), true},
		{"a bank named Felicity Cityside citywise, no city", account(`{"clearinghouse":"SWEDEN","bank":"Felicity Cityside citywise","lastdigits":"706212"}`), true},
		{"a bank named Velocity, no city", account(`{"bank":"Velocity","lastdigits":"706212"}`), true},
		{"a descriptor saying personid: none, no personid", account(`{"bank":"Nordea","descriptor":"Savings/personid: none","lastdigits":"706212"}`), true},
		{"a bank ending in city, no city", account(`{"bank":"Bank of the city","lastdigits":"706212"}`), true},
		{"an address with bank as a word, no bank", account(`{"address":"c/o the bank, Storgatan 1","city":"Stockholm","name":"Ann Berg"}`), true},
		{"a descriptor with name as a word, no name", account(`{"bank":"Nordea","descriptor":"name on card","lastdigits":"706212"}`), true},
		{"a bank with personid-free in it, no personid", account(`{"bank":"The personid-free bank","lastdigits":"706212"}`), true},
		{"a kyc city with country as a word, no country", kyc(`{"firstname":"Jan","lastname":"Vries","dob":"1975-07-14","city":"Hill country"}`), true},
		{"lastdigits with a letter", account(`{"bank":"Nordea","lastdigits":"12a4"}`), false},
		{"lastdigits too long", account(`{"bank":"Nordea","lastdigits":"12345678901234567890123456789012345"}`), false},
		{"lastdigits with a space", account(`{"bank":"Nordea","lastdigits":" 1234"}`), false},
		{"clearinghouse in lower case", account(`{"bank":"Nordea","clearinghouse":"sweden"}`), false},
		{"clearinghouse with a space", account(`{"bank":"Nordea","clearinghouse":"SWEDEN X"}`), false},
		{"clearinghouse too long", account(`{"bank":"Nordea","clearinghouse":"` + strings.Repeat("C", 65) + `"}`), false},
		{"a personid with a space inside", account(`{"bank":"Nordea","personid":"SE19790131 1246"}`), false},
		{"a personid too long", account(`{"bank":"Nordea","personid":"SE197901311246197901311246"}`), false},
		{"a zipcode too long", account(`{"bank":"Nordea","zipcode":"111 22 Stockholm"}`), false},
		{"a name over two lines", account(`{"bank":"Nordea","name":"Bertil\nBerg"}`), false},
		{"a bank with a control character", account(`{"bank":"Nord\u0000ea"}`), false},
		{"genuine kyc, Dutch", kyc(`{"firstname":"Jan","lastname":"de Vries","dob":"1975-07-14","street":"Damrak 1","zipcode":"1012 LG","city":"Amsterdam","country":"NL"}`), true},
		{"genuine kyc, country a name, gender", kyc(`{"personid":"SE196512171957","firstname":"Joe","lastname":"Johnson","dob":"1965-12-17","street":"Street 10","zipcode":"11253","city":"STOCKHOLM","country":"Sweden","gender":"M"}`), true},
		{"kyc dob not a date", kyc(`{"firstname":"Jan","lastname":"Vries","dob":"1975-13-14","country":"NL"}`), false},
		{"kyc dob with a time", kyc(`{"firstname":"Jan","lastname":"Vries","dob":"1975-07-14T00:00:00","country":"NL"}`), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNotification(tt.raw, &trustlyKey(t).PublicKey)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadData)) {
				t.Errorf("got %v; want ok %t (or ErrBadData)", err, tt.ok)
			}
		})
	}
}

// TestAttributesVectors: the account and kyc notifications of the repo's
// vectors (Trustly's documented examples, with a key Trustly added, a gender and
// a personid without a country code) still verify and parse
// (TestNotificationVectors checks them whole; this names the two).
func TestAttributesVectors(t *testing.T) {
	seen := 0
	for _, v := range loadVectors(t) {
		if v.Kind != "notification" || (v.Method != MethodAccount && v.Method != MethodKYC) {
			continue
		}
		right, _ := keyFor(t, v)
		if _, err := ParseNotification(envelope(v.Kind, v.Method, v.UUID, v.Signature, v.DataJSON), right); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
		seen++
	}
	if seen != 2 {
		t.Fatalf("read %d account or kyc vectors; want 2", seen)
	}
}
