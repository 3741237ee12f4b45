package models

import (
	"strings"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// foldAccents maps the accented letters of the markets' names (and their
// neighbours') to plain ones.
var foldAccents = strings.NewReplacer(
	"å", "a", "ä", "a", "á", "a", "à", "a", "â", "a", "ã", "a", "æ", "ae",
	"ö", "o", "ó", "o", "ò", "o", "ô", "o", "õ", "o", "ø", "o",
	"ü", "u", "ú", "u", "ù", "u", "û", "u", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ý", "y", "ÿ", "y", "ñ", "n", "ç", "c",
	"š", "s", "ž", "z", "č", "c", "ß", "ss", "-", " ", "'", "", "’", "", ".", "")

// FoldName is a name as Pay N Play's kyc compares a player's with a bank's: in
// lower case, without accents, hyphens as spaces, apostrophes and dots left out,
// and single spaces between words ("Öberg-Lindqvist" is "oberg lindqvist"). It
// reads the name in Unicode NFC first, so that an ö sent as o and a combining
// diaeresis (NFD, as some devices and banks send names) folds as one sent as one
// code point does.
func FoldName(s string) string {
	return strings.Join(strings.Fields(foldAccents.Replace(strings.ToLower(norm.NFC.String(s)))), " ")
}

// NameKey is the key a player's first and last name are found by in a kyc
// (paynplay.NameKeys lists the keys a bank's names match): both folded
// (FoldName), the last name first, joined by "|": "meikalainen|matti".
func NameKey(first, last string) string { return FoldName(last) + "|" + FoldName(first) }

// NameFold numbers FoldName's ways of folding that made the keys stored:
// 0 before it read names in NFC (eab1a14), 1 since. A change to FoldName that
// changes keys takes the next number, and the start makes the keys of the players
// whose name_key_fold is lower again (package store).
const NameFold = 1

// BeforeSave keeps NameKey the key of the names on every Create and Save, however
// the player is written. An Update or Updates that changes a name must set
// name_key (and name_key_fold) with it: GORM writes only the columns it is given there.
func (p *Player) BeforeSave(*gorm.DB) error {
	p.NameKey = NameKey(p.FirstName, p.LastName)
	p.NameKeyFold = NameFold
	return nil
}
