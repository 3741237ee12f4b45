package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Role is what a signed-in player may do. Back-office staff are not players: they
// have accounts of their own (package cashier/staff). An older database's "admin"
// players are turned into plain players when it is migrated.
type Role string

const (
	RolePlayer Role = "player" // plays, deposits and withdraws
)

// Player is a registered player (or, for Pay N Play, one created by a deposit).
type Player struct {
	ID        int64  `gorm:"primaryKey"`
	EndUserID string `gorm:"size:64;not null;uniqueIndex"` // stable opaque id sent to Trustly as EndUserID
	// Email is the sign-in name of a password player; "" (NULL in the database) for a
	// Pay N Play player, who gave none. Unique when present.
	Email        string `gorm:"size:254;uniqueIndex;serializer:nullempty"`
	PasswordHash string `gorm:"size:255;not null;default:''"` // bcrypt; empty for Pay N Play players
	FirstName    string `gorm:"size:100;not null;default:''"`
	LastName     string `gorm:"size:100;not null;default:''"`
	Country      string `gorm:"size:2;not null;index:idx_players_country_dob,priority:1"` // ISO 3166-1 alpha-2
	Currency     string `gorm:"size:3;not null"`                                          // the wallet's currency
	Role         Role   `gorm:"size:16;not null;default:'player'"`
	// PersonID is the national identity number from Trustly's kyc, in
	// paynplay.PersonID.String() form ("SE197901311238"): SE, FI and EE only. It is
	// the key of a Pay N Play player, set once by the first kyc that names it, and
	// unique when present ("" is NULL in the database).
	PersonID string `gorm:"size:64;uniqueIndex:idx_players_personid;serializer:nullempty"`
	// KYCEntityID is Trustly's id of the bank profile from the latest kyc. Trustly
	// warns it may change: a fallback hint in NL, never a key on its own.
	KYCEntityID string `gorm:"size:64;index"`
	// DateOfBirth is YYYY-MM-DD, from KYC. With Country it finds the players a
	// Dutch identity under a new kycentityid may be (idx_players_country_dob).
	DateOfBirth string `gorm:"size:10;not null;default:'';index:idx_players_country_dob,priority:2"`
	// NameKey is NameKey(FirstName, LastName), set by BeforeSave: with Country it
	// finds the players without a personid a bank identity with one may be, such
	// as password players who registered without an identity number
	// (idx_players_country_name). Folding may double a letter (æ, ß), hence its size.
	NameKey string `gorm:"size:401;not null;default:''"`
	// NameKeyFold is the fold (NameFold) NameKey was made with, set with it by
	// BeforeSave; 0 for a key an older version made, which the start makes again.
	NameKeyFold int `gorm:"not null;default:0"`
	// The address the bank gave in the latest kyc; empty for a password player.
	Street  string `gorm:"size:200;not null;default:''"`
	Zipcode string `gorm:"size:200;not null;default:''"`
	City    string `gorm:"size:200;not null;default:''"`
	// KYCAt is when a kyc last confirmed this player's identity; nil for a player
	// who never deposited through Pay N Play.
	KYCAt     *time.Time
	CreatedAt time.Time `gorm:"not null"`
	// SessionVersion is written into every session cookie at sign-in; a cookie with
	// another version is refused. Raising it ends every session of the player, on
	// every device and every instance: sign-out, blocking, a new password.
	SessionVersion int64 `gorm:"not null;default:0"`
	// Blocked is set by staff (cashier.SetPlayerBlocked): the player cannot sign in,
	// deposit, add bank accounts or withdraw, and blocking ended their sessions.
	Blocked bool `gorm:"not null;default:false"`
	// Language is the language the player chose with the language picker ("sv");
	// "" until they choose, when the browser's Accept-Language decides.
	Language string `gorm:"size:8;not null;default:''"`
}

// Markets the cashier serves: country → currency and Trustly locale.
var Markets = map[string]struct{ Currency, Locale, Name string }{
	"SE": {"SEK", "sv_SE", "Sweden"},
	"FI": {"EUR", "fi_FI", "Finland"},
	"EE": {"EUR", "et_EE", "Estonia"},
	"LV": {"EUR", "lv_LV", "Latvia"},
	"LT": {"EUR", "lt_LT", "Lithuania"},
	"NL": {"EUR", "nl_NL", "Netherlands"},
	"DE": {"EUR", "de_DE", "Germany"},
	"ES": {"EUR", "es_ES", "Spain"},
	"NO": {"NOK", "nb_NO", "Norway"},
	"DK": {"DKK", "da_DK", "Denmark"},
}

// Locale is the Trustly locale for the player's country, in the language of the
// page they are on (LanguageFrom(ctx)), else the one they chose, else the
// market's: TrustlyLocale.
func (p *Player) Locale(ctx context.Context) string {
	language := LanguageFrom(ctx)
	if language == "" {
		language = p.Language
	}
	return TrustlyLocale(language, p.Country)
}

// TrustlyLocale is the Locale sent to Trustly for a page in language (ISO 639-1,
// "sv") shown to a person of country: "sv_SE", "fi_FI", "sv_FI" for a Swedish page
// in Finland, and "en_GB" for English anywhere. Without a language it is the
// market's own ("nl_NL"), and en_GB for a market we do not know.
func TrustlyLocale(language, country string) string {
	m, known := Markets[country]
	switch {
	case language == "en" || !known:
		return "en_GB"
	case len(language) != 2 || strings.Trim(language, "abcdefghijklmnopqrstuvwxyz") != "":
		return m.Locale
	}
	return language + "_" + country
}

type languageKey struct{}

// WithLanguage is ctx carrying the language of the page a request came from, for
// the Locale of the Trustly calls it makes.
func WithLanguage(ctx context.Context, language string) context.Context {
	return context.WithValue(ctx, languageKey{}, language)
}

// LanguageFrom is the page's language WithLanguage put in ctx; "" when none.
func LanguageFrom(ctx context.Context) string {
	s, _ := ctx.Value(languageKey{}).(string)
	return s
}

// Name is the player's full name for people.
func (p *Player) Name() string { return strings.TrimSpace(p.FirstName + " " + p.LastName) }

// NewEndUserID makes a fresh opaque EndUserID: stable for the player once stored,
// and revealing nothing about them.
func NewEndUserID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "p-" + hex.EncodeToString(b)
}

// Lengths the players table holds. An email address has at most 254 characters
// (RFC 5321's path limit less its brackets); a name is counted in characters, as
// the database's varchar counts them, not in bytes.
const (
	MaxEmailLength = 254
	MaxNameLength  = 100
)

// Registration is what a person types to open an account.
type Registration struct {
	Email, Password, FirstName, LastName, Country string
	// PersonID and DateOfBirth are what the national self-exclusion register of the
	// country needs to find the person (responsible gaming): the personal identity
	// number in SE (personnummer) and EE (isikukood), the date of birth (YYYY-MM-DD)
	// in NL. The cashier checks and uses them only in those markets.
	PersonID, DateOfBirth string
	// Language is the language the registrant chose with the picker before
	// registering ("" for none), kept as the player's (Player.Language).
	Language string
}

// Password lengths, in characters: a player's password is MinPassword to MaxPassword
// characters, a staff member's MinStaffPassword to MaxPassword. A character is a
// rune, not a byte: a password in Cyrillic, Greek or emoji takes two to four bytes a
// character and is held to the same rule as one in Latin letters. They are counted
// in the password's NFC form (NormalPassword), the one hashed, so a password is as
// long from every device: é typed as e and a combining accent is one character. bcrypt reads at
// most 72 bytes; the cashier's hashing gives it a pre-hash of a longer password, so
// every character counts (cashier.hashPassword).
const (
	MinPassword      = 10
	MinStaffPassword = 12
	MaxPassword      = 128
)

// CheckPassword checks a player's new password: MinPassword to MaxPassword
// characters.
func CheckPassword(password string) error { return checkPassword(password, MinPassword) }

// CheckStaffPassword checks a staff member's new password: MinStaffPassword to
// MaxPassword characters.
func CheckStaffPassword(password string) error { return checkPassword(password, MinStaffPassword) }

func checkPassword(password string, least int) error {
	if n := utf8.RuneCountInString(NormalPassword(password)); n < least || n > MaxPassword {
		return ProblemT("password", "problem.password",
			fmt.Sprintf("Choose a password of %d to %d characters.", least, MaxPassword), "Min", least, "Max", MaxPassword)
	}
	return nil
}

// NormalPassword is password in Unicode NFC, the form the cashier hashes, compares
// and counts, a player's and a staff member's alike: macOS and most keyboards send
// é as one code point, some devices as e and a combining accent, and a password
// typed on one must sign in from the other. NFC composes, and changes nothing else:
// not case, not width, not lookalikes (NFKC would take ﬁ for fi and ² for 2, and
// make two passwords a player chose apart the same).
func NormalPassword(password string) string { return norm.NFC.String(password) }

// CheckEmail checks a player's sign-in email, already trimmed and in lower case
// (NormalEmail): one address, as mail.ParseAddress reads it, of at most
// MaxEmailLength characters.
func CheckEmail(email string) error {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return ProblemT("email", "problem.email", "Enter an email address such as anna@example.com.")
	}
	if len(email) > MaxEmailLength {
		return ProblemT("email", "problem.email_length", fmt.Sprintf("Enter an email address of at most %d characters.", MaxEmailLength), "Max", MaxEmailLength)
	}
	return nil
}

// NormalEmail is email as the players table keeps it and sign-in looks it up:
// trimmed, in lower case and in Unicode NFC, as passwords are (NormalPassword): an
// address with é is one address whether the device sent é as one code point or
// as e and a combining accent.
func NormalEmail(email string) string {
	return norm.NFC.String(strings.ToLower(strings.TrimSpace(email)))
}

// EmailForms are the forms a normal email (NormalEmail) may be kept in: itself
// and, when it differs, its NFD form, which versions before NFC kept an address
// typed decomposed in. A lookup by email reads both, preferring the first.
func EmailForms(email string) []string {
	if nfd := norm.NFD.String(email); nfd != email {
		return []string{email, nfd}
	}
	return []string{email}
}

// Validate checks the registration and returns a Problem naming the first field to
// fix. The currency follows from the country.
func (r *Registration) Validate() error {
	r.Email = NormalEmail(r.Email)
	r.FirstName, r.LastName = norm.NFC.String(strings.TrimSpace(r.FirstName)), norm.NFC.String(strings.TrimSpace(r.LastName))
	if err := CheckEmail(r.Email); err != nil {
		return err
	}
	if err := CheckPassword(r.Password); err != nil {
		return err
	}
	if r.FirstName == "" || r.LastName == "" || utf8.RuneCountInString(r.FirstName) > MaxNameLength ||
		utf8.RuneCountInString(r.LastName) > MaxNameLength {
		return ProblemT("name", "problem.name", "Enter your first and last name as your bank knows them.")
	}
	if _, ok := Markets[r.Country]; !ok {
		return ProblemT("country", "problem.country", fmt.Sprintf("We do not serve %q; choose a country from the list.", r.Country), "Country", r.Country)
	}
	r.PersonID, r.DateOfBirth = strings.TrimSpace(r.PersonID), strings.TrimSpace(r.DateOfBirth)
	if len(r.PersonID) > 20 {
		return ProblemT("person_id", "problem.person_id", "Enter your personal identity number as it is written on your ID card.")
	}
	if d, err := time.Parse(time.DateOnly, r.DateOfBirth); r.DateOfBirth != "" && (err != nil || d.Year() < 1900) {
		return ProblemT("date_of_birth", "problem.date_of_birth", "Enter your date of birth such as 1985-02-28.")
	}
	return nil
}
