package sandbox

import "net/http"

func (s *Sandbox) checkoutRoutes(mux *http.ServeMux) {}
