package models

import "testing"

// TestIsMessageID: the shape NewMessageID makes, and nothing near it.
func TestIsMessageID(t *testing.T) {
	if id := NewMessageID(OrderRefund); !IsMessageID(OrderRefund, id) || IsMessageID(OrderDeposit, id) {
		t.Errorf("%q: want a refund's MessageID and not a deposit's", id)
	}
	for _, s := range []string{"", "ref-", "ref-0123456789abcdef0123456", "ref-0123456789abcdef012345678",
		"ref-0123456789ABCDEF01234567", "ref-0123456789abcdeg01234567", "dep-0123456789abcdef01234567",
		"ref-0123456789abcdef0123456\n"} {
		if IsMessageID(OrderRefund, s) {
			t.Errorf("%q taken for a refund's MessageID", s)
		}
	}
	if !IsMessageID(OrderRefund, "ref-0123456789abcdef01234567") {
		t.Error("a well-formed refund MessageID refused")
	}
}
