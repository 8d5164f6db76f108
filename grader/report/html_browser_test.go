package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium finds Debian's headless-capable browser. CI (COACH_REQUIRE_DOCKER=1,
// .ci/run installs it) must not turn a missing browser into a green skip.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("COACH_REQUIRE_DOCKER") == "1" {
		t.Fatal("chromium is not installed and COACH_REQUIRE_DOCKER=1: apt-get install -y chromium (.ci/run does)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium)")
	return ""
}

// TestClassHTMLInChromium renders the class report in a real browser and
// reads the figures off the DOM the browser built, after the page's own
// script ran: what an instructor sees, not what the template meant.
func TestClassHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	page := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(page)
	require.NoError(t, err)
	require.NoError(t, ClassHTML(f, class(), HTMLOptions{Generated: time.Now()}))
	require.NoError(t, f.Close())

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	dom, err := exec.CommandContext(ctx, bin, append(flags, "--dump-dom", "file://"+page)...).Output()
	require.NoError(t, err, "chromium --dump-dom")
	got := string(dom)

	assert.Regexp(t, `<html[^>]*data-ready="1"`, got, "the page's script ran without error")
	figures := map[string]string{
		"stat-submissions": "4", "stat-passed": "1", "stat-errored": "2", "stat-mean": "4.0/12", "stat-median": "17%",
	}
	for id, want := range figures {
		m := regexp.MustCompile(`id="` + id + `">([^<]*)<`).FindStringSubmatch(got)
		if assert.NotNil(t, m, id) {
			assert.Equal(t, want, m[1], id)
		}
	}
	bins := map[string]string{"0–9%": "2", "30–39%": "1", "90–99%": "0", "100%": "1"}
	for label, want := range bins {
		m := regexp.MustCompile(`data-bin="` + regexp.QuoteMeta(label) + `"[^>]*><span class="count">(\d+)<`).FindStringSubmatch(got)
		if assert.NotNil(t, m, label) {
			assert.Equal(t, want, m[1], "submissions in %s", label)
		}
	}
	rates := map[string]string{"health-json": "2/3 67%", "todos-create": "1/2 50%", "auth-expired": "2/2 100%"}
	for id, want := range rates {
		m := regexp.MustCompile(`data-test="` + id + `">.*?class="num passed">([^<]*)</td><td[^>]*>([^<]*)<`).FindStringSubmatch(got)
		if assert.NotNil(t, m, id) {
			assert.Equal(t, want, m[1]+" "+m[2], "pass rate of %s", id)
		}
	}
	assert.Len(t, regexp.MustCompile(`<tr data-submission="`).FindAllString(got, -1), 4, "a row per submission")
	assert.Len(t, regexp.MustCompile(`<details class="failure"`).FindAllString(got, -1), 5, "bob's 4 and dave's 1 failures expand")
	assert.NotContains(t, got, "<img src=x", "server output stays text in the browser too")

	// The page paints: a screenshot of a blank or broken page is tiny.
	shot := filepath.Join(t.TempDir(), "report.png")
	out, err := exec.CommandContext(ctx, bin, append(flags, "--screenshot="+shot, "--window-size=1280,1600", "file://"+page)...).CombinedOutput()
	require.NoError(t, err, string(out))
	st, err := os.Stat(shot)
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(20_000), "the screenshot shows a rendered page")
}
