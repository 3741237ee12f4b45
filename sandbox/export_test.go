package sandbox

import "gorm.io/gorm"

// DB is the sandbox's database, for tests that hook its queries.
func (s *Sandbox) DB() *gorm.DB { return s.db }
