package handlers

import (
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// noOrderKey marks a request whose handler refused it for its amount (unreadable,
// outside the currency's range or the deposit limits, more than the balance)
// before any order was made or Trustly called: the player's order limit gives its
// count back (orderCount).
const noOrderKey = "handlers.noOrder"

// noOrderStarted marks c as a form refused for its amount, which started no order.
func noOrderStarted(c *fiber.Ctx) { c.Locals(noOrderKey, true) }

// orderCount is the order limit per player: at most max orders started in a
// fixed window per key, as fiber's limiter counts, except that a request its
// handler marked with noOrderStarted gives its count back, so a player who
// mistypes an amount is not told they started many payments. The count is taken
// before the handler runs and given back after it, so concurrent requests cannot
// together get past max: a script posting forms still reaches Trustly at most max
// times a window. Its memory is this instance's.
type orderCount struct {
	max    int
	window time.Duration

	mu      sync.Mutex
	windows map[string]*orderWindow
	swept   time.Time // when windows last lost its ended entries
}

type orderWindow struct {
	hits int
	ends time.Time
}

func newOrderCount(max int, window time.Duration) *orderCount {
	return &orderCount{max: max, window: window, windows: map[string]*orderWindow{}}
}

// handler counts each request under key(c), answering one past the limit with
// limited, with a Retry-After header.
func (o *orderCount) handler(key func(c *fiber.Ctx) string, limited fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, now := key(c), time.Now()
		o.mu.Lock()
		if now.Sub(o.swept) >= o.window {
			for k, w := range o.windows {
				if !now.Before(w.ends) {
					delete(o.windows, k)
				}
			}
			o.swept = now
		}
		w := o.windows[k]
		if w == nil || !now.Before(w.ends) {
			w = &orderWindow{ends: now.Add(o.window)}
			o.windows[k] = w
		}
		over := w.hits >= o.max
		if !over {
			w.hits++
		}
		o.mu.Unlock()
		if over {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(w.ends.Sub(now)/time.Second)+1))
			return limited(c)
		}
		err := c.Next()
		if none, _ := c.Locals(noOrderKey).(bool); none {
			o.mu.Lock()
			if w.hits > 0 {
				w.hits--
			}
			o.mu.Unlock()
		}
		return err
	}
}
