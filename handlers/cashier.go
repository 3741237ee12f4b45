package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/views"
)

// cashierPage is the signed-in player's home: name and balance.
func cashierPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		player := currentPlayer(c)
		balance, err := svc.Wallet(c.UserContext(), player)
		if err != nil {
			return err
		}
		return render(c, views.Cashier(views.CashierPage{Chrome: chrome(c), Name: player.Name(), Balance: balance.Display()}))
	}
}

// adminHome is the back office's start page.
func adminHome(c *fiber.Ctx) error {
	return render(c, views.Admin(views.AdminPage{Chrome: chrome(c)}))
}
