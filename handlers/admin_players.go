package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/views"
)

// The player search, a player's profile, blocking and notes.

func playerPath(id int64) string { return "/admin/players/" + strconv.FormatInt(id, 10) }

// playersPage searches players by id, email, personid or name: the first 254
// bytes of the search, cut between characters (a character cut in two is not
// text, and PostgreSQL refuses the query).
func playersPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		zone, term := staffZone(c), c.Query("q")
		if len(term) > 254 {
			term = strings.ToValidUTF8(term[:254], "")
		}
		players, more, err := svc.SearchPlayers(c.UserContext(), currentStaff(c), term)
		if err != nil {
			return err
		}
		page := views.AdminPlayersPage{AdminChrome: adminChrome(c), Search: term, Zone: zone.String()}
		if more {
			page.More = "the " + strconv.Itoa(cashier.PlayersFound) + " newest"
		}
		for _, p := range players {
			page.Rows = append(page.Rows, views.PlayerRow{ID: strconv.FormatInt(p.ID, 10), Email: p.Email, Name: p.Name(),
				Country: p.Country, PersonID: p.PersonID, Created: timeIn(p.CreatedAt, zone), Blocked: p.Blocked})
		}
		return render(c, views.AdminPlayers(page))
	}
}

// playerPage shows one player's profile.
func playerPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, zone := currentStaff(c), staffZone(c)
		prof, err := svc.PlayerProfile(c.UserContext(), m, paramID(c))
		if errors.Is(err, cashier.ErrPlayerNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		p := prof.Player
		page := views.AdminPlayerPage{AdminChrome: adminChrome(c), ID: strconv.FormatInt(p.ID, 10), Email: p.Email,
			Name: p.Name(), Country: p.Country, Currency: p.Currency, PersonID: p.PersonID, KYCEntityID: p.KYCEntityID,
			DateOfBirth: p.DateOfBirth, EndUserID: p.EndUserID, Created: timeIn(p.CreatedAt, zone), Zone: zone.String(),
			Wallet: prof.Wallet.Display(), Reserved: prof.Reserved.Display(), Blocked: p.Blocked,
			CanBlock: staff.Can(m.Role, staff.ActionBlockPlayer)}
		page.BelowZero, page.BelowZeroWhy = belowZero(prof.BelowZero)
		if refusal := cashier.UnblockRefusal(m, p); refusal != nil {
			page.UnblockRefused = refusal.Message
		}
		if refusal := cashier.BlockRefusal(m, p); refusal != nil {
			page.BlockRefused = refusal.Message
		}
		if refusal := cashier.NoteRefusal(m, p); refusal != nil {
			page.NoteRefused = refusal.Message
		}
		for _, a := range prof.Accounts {
			page.Accounts = append(page.Accounts, views.AccountRow{Label: a.Label(), Source: string(a.Source),
				Verified: yesNo(a.Verified), Removed: yesNo(a.Removed), Created: timeIn(a.CreatedAt, zone)})
		}
		for _, o := range prof.Orders {
			row := cashier.TxRow{Order: o, PlayerEmail: p.Email, DepositTrustlyOrderID: prof.DepositOrderIDs[o.ParentID]}
			page.Orders = append(page.Orders, txRow(row, zone))
		}
		if prof.MoreOrders {
			page.MoreOrders = "the " + strconv.Itoa(cashier.PlayerOrdersShown) + " newest"
			page.AllOrders = transactionsPath + "?" + url.Values{"player": {page.ID}}.Encode()
		}
		for _, n := range prof.Notes {
			page.Notes = append(page.Notes, views.NoteRow{At: timeIn(n.At, zone), Who: n.StaffEmail, Text: n.Text})
		}
		playerRG(&page, p, prof.RG, zone)
		return render(c, views.AdminPlayer(page))
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// setPlayerBlocked blocks a player (their sessions end at once) or unblocks them,
// with a reason.
func setPlayerBlocked(blocked bool) func(svc *cashier.Service) fiber.Handler {
	return func(svc *cashier.Service) fiber.Handler {
		return func(c *fiber.Ctx) error {
			id, reason := paramID(c), c.FormValue("reason")
			_, changed, err := svc.SetPlayerBlocked(c.UserContext(), currentStaff(c), id, blocked, reason)
			var msg string
			switch {
			case blocked && changed:
				msg = "The player is blocked and signed out everywhere."
			case blocked:
				msg = "The player was blocked already; nothing changed."
			case changed:
				msg = "The player is unblocked."
			default:
				msg = "The player was not blocked; nothing changed."
			}
			if err == nil && !changed && strings.TrimSpace(reason) != "" {
				return blockedAlready(c, svc, id, blocked, reason, msg)
			}
			return playerDone(c, svc, err, id, msg, "Your reason, not recorded:", reason)
		}
	}
}

// blockedAlready answers a block (unblock, when blocked is false) with a reason
// that changed nothing, msg saying so: the player was blocked (unblocked) before,
// by another member since the page was read, say, whose reason is the one
// recorded. The player's page says who (409) and shows back the reason typed
// (moot), unless the last block was this member's with this reason (their form
// sent twice), which goes back with msg as it did.
func blockedAlready(c *fiber.Ctx, svc *cashier.Service, id int64, blocked bool, reason, msg string) error {
	m, event, done := currentStaff(c), staff.EventPlayerUnblocked, "unblocked"
	if blocked {
		event, done = staff.EventPlayerBlocked, "blocked"
	}
	last, err := svc.AuditLog(c.UserContext(), m, staff.Filter{PlayerID: id, Event: event, Limit: 1})
	if err != nil {
		return err
	}
	if len(last) == 1 {
		if last[0].StaffID == m.ID && last[0].Reason == strings.TrimSpace(reason) {
			return playerDone(c, svc, nil, id, msg, "", "")
		}
		msg = fmt.Sprintf("The player was %s already, by %s; nothing changed.", done, last[0].StaffEmail)
	}
	return moot(c, playerPage(svc), msg, "Your reason, not recorded:", reason)
}

// addPlayerNote adds a note about a player.
func addPlayerNote(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := paramID(c)
		_, err := svc.AddPlayerNote(c.UserContext(), currentStaff(c), id, c.FormValue("note"))
		return playerDone(c, svc, err, id, "Your note is added.", "Your note, not recorded:", c.FormValue("note"))
	}
}

// playerDone goes back to the player's page with msg. A refusal (a
// *models.Problem) is answered by the player's page with its sentence and text,
// what the member typed (label: "Your note, not recorded:"), shown back (refused).
func playerDone(c *fiber.Ctx, svc *cashier.Service, err error, id int64, msg, label, text string) error {
	switch problem := asProblem(err); {
	case problem != nil:
		return refused(c, playerPage(svc), playerPath(id), problem.Message, label, text)
	case errors.Is(err, cashier.ErrPlayerNotFound):
		return errNotFound
	case err != nil:
		return err
	}
	if err := setFlash(c, msg); err != nil {
		return err
	}
	return c.Redirect(playerPath(id), fiber.StatusSeeOther)
}
