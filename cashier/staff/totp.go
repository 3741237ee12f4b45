package staff

import (
	"bytes"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP codes: RFC 6238 with the defaults every authenticator app reads (SHA-1, six
// digits, 30-second steps). A code is accepted in its own step and the one before
// or after it, to allow for clocks that differ a little, and never twice.
const totpPeriod = 30

// Enrolment is what an enrolment page shows: the secret as a QR code and as text.
type Enrolment struct {
	Secret string // base32, to type into an app by hand
	URL    string // otpauth://totp/…, what the QR code holds
	QRCode string // data:image/png;base64,… (the page's CSP allows data: images)
}

// NewTOTP makes a fresh secret for the account email, named issuer in the app.
func NewTOTP(issuer, email string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: email, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return Enrolment{}, fmt.Errorf("new totp secret: %w", err)
	}
	return EnrolmentFor(key.URL())
}

// EnrolmentFor renders the enrolment of an otpauth:// URL made by NewTOTP.
func EnrolmentFor(url string) (Enrolment, error) {
	key, err := otp.NewKeyFromURL(url)
	if err != nil {
		return Enrolment{}, fmt.Errorf("totp key: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return Enrolment{}, fmt.Errorf("totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, fmt.Errorf("totp qr code: %w", err)
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// TOTPURL is the otpauth:// URL of an existing secret, for showing the QR code
// again while enrolment is not finished.
func TOTPURL(issuer, email, secret string) string {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		return ""
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: email, Period: totpPeriod,
		Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return ""
	}
	return key.URL()
}

// MatchTOTP returns the 30-second step of code for secret at now, checking the
// step before and after too; ok is false when code matches none of them or only a
// step at or before after (a code already used).
func MatchTOTP(secret, code string, now time.Time, after int64) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || secret == "" {
		return 0, false
	}
	now0 := now.Unix() / totpPeriod
	for _, s := range []int64{now0 - 1, now0, now0 + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && s > after {
			return s, true
		}
	}
	return 0, false
}
