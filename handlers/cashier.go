package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/views"
)

// adminHome is the back office's start page.
func adminHome(c *fiber.Ctx) error {
	return render(c, views.Admin(views.AdminPage{Chrome: chrome(c)}))
}
