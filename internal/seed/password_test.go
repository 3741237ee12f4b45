package seed

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestPasswordHash: the seeded players' hash is Password's, so they can sign in.
func TestPasswordHash(t *testing.T) {
	if err := bcrypt.CompareHashAndPassword([]byte(passwordHash), []byte(Password)); err != nil {
		t.Fatal(err)
	}
}
