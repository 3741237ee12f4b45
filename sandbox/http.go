package sandbox

import (
	"net/http"

	"github.com/trustly-cashier/cashier/trustly"
)

func (s *Sandbox) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/1", s.serveAPI)
	mux.HandleFunc("POST /1", s.serveAPI)
	mux.HandleFunc("GET /sandbox/public-key.pem", s.servePublicKey)
	s.checkoutRoutes(mux)
	s.adminRoutes(mux)
	s.mux = mux
}

func (s *Sandbox) servePublicKey(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(trustly.PublicKeyPEM(&s.key.PublicKey))
}
