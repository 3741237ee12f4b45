package sandboxtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/trustly"
)

// Received is one notification a Merchant got, verified with the sandbox key.
type Received struct {
	Notification *trustly.Notification
	Answered     bool // false when the Merchant's AnswerFunc refused it
}

// AnswerFunc decides how the Merchant answers a notification: the answer, the
// HTTP status, and ok=false to send no valid answer at all (HTTP status only).
type AnswerFunc func(n *trustly.Notification, count int) (a trustly.Answer, status int, ok bool)

// Merchant is a test NotificationURL: it verifies every notification with the
// sandbox key, records it and answers with a signed OK (kyc: CONTINUE) unless
// Answer says otherwise.
type Merchant struct {
	URL    string // the NotificationURL to give the sandbox
	Answer AnswerFunc

	mu       sync.Mutex
	received []Received
	counts   map[string]int // per notificationid
	bad      []string       // bodies that did not verify
	key      *rsa.PrivateKey
}

// NewMerchant starts a Merchant for env.
func NewMerchant(t testing.TB, env *Env) *Merchant {
	t.Helper()
	m := &Merchant{counts: map[string]int{}, key: env.MerchantKey}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		n, err := trustly.ParseNotification(raw, env.TrustlyKey)
		if err != nil {
			m.mu.Lock()
			m.bad = append(m.bad, string(raw))
			m.mu.Unlock()
			http.Error(w, "bad notification", http.StatusBadRequest)
			return
		}
		m.mu.Lock()
		m.counts[n.ID()]++
		count := m.counts[n.ID()]
		answer := m.Answer
		m.mu.Unlock()
		a, status, ok := trustly.Answer{Status: trustly.StatusOK}, http.StatusOK, true
		if n.Method == trustly.MethodKYC {
			a.Status = trustly.StatusContinue
		}
		if answer != nil {
			a, status, ok = answer(n, count)
		}
		m.mu.Lock()
		m.received = append(m.received, Received{Notification: n, Answered: ok})
		m.mu.Unlock()
		if !ok {
			w.WriteHeader(status)
			return
		}
		body, err := trustly.EncodeAnswer(m.key, n.Method, n.UUID, a)
		if err != nil {
			t.Errorf("encode answer: %v", err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	m.URL = srv.URL + "/notify/" + randomSegment()
	return m
}

// Received returns every notification so far, in arrival order.
func (m *Merchant) Received() []Received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Received(nil), m.received...)
}

// Bad returns bodies that did not verify with the sandbox key.
func (m *Merchant) Bad() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.bad...)
}

// ForOrder returns the notifications for one orderid, in arrival order.
func (m *Merchant) ForOrder(orderID string) []*trustly.Notification {
	var out []*trustly.Notification
	for _, r := range m.Received() {
		if r.Notification.OrderID() == orderID {
			out = append(out, r.Notification)
		}
	}
	return out
}

// WaitFor waits until orderID has at least n notifications and returns them.
func (m *Merchant) WaitFor(t testing.TB, orderID string, n int, timeout time.Duration) []*trustly.Notification {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := m.ForOrder(orderID)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s: got %d notifications %v, want %d", orderID, len(got), Methods(got), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Methods lists the notifications' methods.
func Methods(ns []*trustly.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Method
	}
	return out
}

// randomSegment makes the NotificationURL hard to guess, as API.md §2.4 advises.
func randomSegment() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
