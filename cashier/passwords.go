package cashier

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"sync"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/trustly-cashier/cashier/models"
)

// Every password the cashier stores or checks, a player's or a staff member's, is
// hashed by hashPassword and compared by samePassword; its length is checked by
// models.CheckPassword (a staff member's: models.CheckStaffPassword). All three
// take the password in Unicode NFC (models.NormalPassword): a password with é
// typed as one code point (macOS and most keyboards) and as e and a combining
// accent (some devices) is one password.

// bcryptCost is the work factor for stored passwords; bcrypt.DefaultCost (10) takes
// about 60 ms on the machines we run on.
const bcryptCost = bcrypt.DefaultCost

// bcryptMax is the most bytes bcrypt reads of a password.
const bcryptMax = 72

// bcryptInput is what bcrypt is given for password. A password of at most
// bcryptMax bytes is given as it is, as it always was, so every hash stored before
// still verifies. A longer one (models.MaxPassword characters take up to 512 bytes)
// is given as the base64 of its SHA-256, 44 bytes without a NUL, so that every
// byte of it counts: bcrypt alone would ignore (or, in this version, refuse)
// whatever follows byte 72.
func bcryptInput(password string) []byte {
	if len(password) <= bcryptMax {
		return []byte(password)
	}
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

// hashPassword is the hash stored for password: of its NFC form.
func hashPassword(password string) (string, error) {
	hash, err := bcrypt.GenerateFromPassword(bcryptInput(models.NormalPassword(password)), bcryptCost)
	return string(hash), err
}

// samePassword reports whether hash is the hash of password. It is tried in NFC,
// as hashPassword stores it, and, when that does not match and password is not in
// NFC, as typed: a hash stored before passwords were normalized is of the bytes
// typed then, which some devices send decomposed. old reports that only the form
// as typed matched; the caller then replaces the hash (rehashPassword), so that
// the password also works typed in NFC from then on. A password typed in NFC
// never matches an old hash of its decomposed form: such an account signs in once
// from a device that sends what it sent then, and is rehashed.
func samePassword(hash, password string) (same, old bool) {
	nfc := models.NormalPassword(password)
	if bcrypt.CompareHashAndPassword([]byte(hash), bcryptInput(nfc)) == nil {
		return true, false
	}
	if nfc == password {
		return false, false
	}
	same = bcrypt.CompareHashAndPassword([]byte(hash), bcryptInput(password)) == nil
	return same, same
}

// rehashPassword replaces the old hash of the row id of model (a models.Player or
// a staff.Member, logged as idKey: player_id, staff_id), which password matched only as typed (samePassword), by the
// hash of its NFC form, if the row still has it; and returns the hash the row has
// now as far as it knows, hash when nothing changed. The password is the same, so
// no session ends and nothing is audited. A failure is logged and the sign-in
// stands: the old hash still works as it did.
func (s *Service) rehashPassword(ctx context.Context, model any, idKey string, id int64, hash, password string) string {
	fresh, err := hashPassword(password)
	if err == nil {
		err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
			res := tx.Model(model).Where("id = ? AND password_hash = ?", id, hash).UpdateColumn("password_hash", fresh)
			if res.Error == nil && res.RowsAffected == 0 {
				fresh = hash // changed meanwhile: not ours to overwrite
			}
			return res.Error
		})
	}
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "password hash not renewed in NFC", slog.Int64(idKey, id), slog.String("err", err.Error()))
		return hash
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "password hash renewed in NFC", slog.Int64(idKey, id))
	return fresh
}

// dummyHash is compared against when no password hash exists, so that a sign-in
// with an unknown email takes as long as one with a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := hashPassword("not a password of anyone")
	if err != nil {
		panic(err)
	}
	return h
})
