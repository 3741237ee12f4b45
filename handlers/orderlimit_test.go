package handlers

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestOrderCountConcurrent: requests sent at once cannot together get past the
// limit, whether or not their handlers give the count back afterwards: the count
// is taken before the handler runs. A request marked noOrderStarted gives it back
// once it is done, and the next one is let in.
func TestOrderCountConcurrent(t *testing.T) {
	var started atomic.Int64
	release := make(chan struct{})
	app := fiber.New()
	app.Post("/", newOrderCount(3, time.Minute).handler(func(*fiber.Ctx) string { return "anna" },
		func(c *fiber.Ctx) error { return c.SendStatus(http.StatusTooManyRequests) }),
		func(c *fiber.Ctx) error {
			started.Add(1)
			<-release
			if c.Query("typo") != "" {
				noOrderStarted(c)
			}
			return c.SendStatus(http.StatusOK)
		})
	var wg sync.WaitGroup
	var refused atomic.Int64
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := app.Test(httptest.NewRequest(http.MethodPost, "/?typo=1", nil), -1)
			if err == nil && resp.StatusCode == http.StatusTooManyRequests {
				refused.Add(1)
			}
		}()
	}
	for refused.Load()+started.Load() < 10 {
		time.Sleep(10 * time.Millisecond)
	}
	if started.Load() != 3 || refused.Load() != 7 {
		t.Errorf("at once: %d let in, %d refused; want 3 and 7", started.Load(), refused.Load())
	}
	close(release)
	wg.Wait()
	// All three gave their count back: three orders may start now, not a fourth.
	for i, want := range []int{200, 200, 200, 429} {
		resp, err := app.Test(httptest.NewRequest(http.MethodPost, "/", nil), -1)
		if err != nil || resp.StatusCode != want {
			t.Errorf("order %d after the typos: %v %v; want %d", i+1, resp.StatusCode, err, want)
		}
	}
}
