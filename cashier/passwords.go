package cashier

import (
	"crypto/sha256"
	"encoding/base64"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Every password the cashier stores or checks, a player's or a staff member's, is
// hashed by hashPassword and compared by samePassword; its length is checked by
// models.CheckPassword (a staff member's: models.CheckStaffPassword).

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

// hashPassword is the hash stored for password.
func hashPassword(password string) (string, error) {
	hash, err := bcrypt.GenerateFromPassword(bcryptInput(password), bcryptCost)
	return string(hash), err
}

// samePassword reports whether hash is hashPassword's hash of password.
func samePassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), bcryptInput(password)) == nil
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
