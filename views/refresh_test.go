package views

import "testing"

// TestNoScriptRefresh: without script a page reloads itself at the sooner of its
// own refresh and the next reality check, or never when it has neither.
func TestNoScriptRefresh(t *testing.T) {
	for _, tt := range []struct{ refresh, realityCheck, want int }{
		{0, 0, 0}, {5, 0, 5}, {0, 90, 90}, {5, 90, 5}, {5, 3, 3},
	} {
		ch := Chrome{RefreshIn: tt.refresh, RealityCheckIn: tt.realityCheck}
		if got := ch.noScriptRefresh(); got != tt.want {
			t.Errorf("refresh %d, reality check in %d: reloads in %d; want %d", tt.refresh, tt.realityCheck, got, tt.want)
		}
	}
}
