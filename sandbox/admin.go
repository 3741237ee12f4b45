package sandbox

import "net/http"

func (s *Sandbox) adminRoutes(mux *http.ServeMux) {}
