package grader

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// This file gives a failure its context: which of the test's requests it
// was, whether that request only prepared the test, what the server printed
// meanwhile, what happened to the server, and a key shared by failures with
// one cause. A learner should read one problem once, not fourteen times.

// sentRequest is a request the test sent, for the timeline and for the
// "requests before it" of a failure.
type sentRequest struct {
	num   int    // 1-based among the test's requests
	mark  int64  // server output written before it was sent
	label string // e.g. "GET /todos/7 → 404 Not Found"
	route string // e.g. "GET /todos/7?x=1", as a server's log names it
	curl  string
}

// requestPlan numbers the requests of a test and finds where the part the
// test is about begins.
type requestPlan struct {
	num     map[int]int // step index (0-based) → request number
	total   int
	subject int // the first request the test is about
}

func planRequests(t *Test) requestPlan {
	p := requestPlan{num: map[int]int{}}
	byStep := map[*Step]int{}
	method, route := nameRoute(t.Name)
	for i, s := range t.Steps {
		req, same := s.sends()
		switch {
		case same != nil:
			p.num[i] = byStep[same]
		case req != nil:
			p.total++
			p.num[i], byStep[s] = p.total, p.total
			if p.subject == 0 && route != "" && requestRoute(s) == method+" "+route {
				p.subject = p.total
			}
		}
	}
	if p.subject == 0 {
		// A name that does not start with a route: the test is about its
		// last request.
		p.subject = p.total
	}
	return p
}

// requestRoute is "METHOD /pattern" with every template or {param} as *.
func requestRoute(s *Step) string {
	r, _ := s.sends()
	if r == nil || r.Path == nil {
		return ""
	}
	return strings.ToUpper(r.Method) + " " + routePattern(r.Path.String())
}

var (
	routeParam  = regexp.MustCompile(`\{\{[^}]*\}\}|\{[^}/]*\}|<[^>/]*>|:[A-Za-z_]+`)
	nameRouteRe = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/\S*)`)
)

func routePattern(path string) string {
	path, _, _ = strings.Cut(path, "?")
	return routeParam.ReplaceAllString(path, "*")
}

// nameRoute reads the route a test's name starts with, as in "GET
// /todos/{id} returns the stored todo".
func nameRoute(name string) (method, route string) {
	m := nameRouteRe.FindStringSubmatch(name)
	if m == nil {
		return "", ""
	}
	return m[1], routePattern(m[2])
}

// noteSent records a request the test sent and its outcome.
func (x *testRun) noteSent(num int, mark int64, o *outgoing, resp *response, err error) {
	label := o.method + " " + pathOf(o.url)
	switch {
	case err != nil:
		label += " → no answer"
	case resp != nil:
		label += " → " + statusText(resp.status)
		if t := http.StatusText(resp.status); t != "" {
			label = o.method + " " + pathOf(o.url) + fmt.Sprintf(" → %d %s", resp.status, t)
		}
	}
	x.sent = append(x.sent, sentRequest{num: num, mark: mark, label: label, route: o.method + " " + pathOf(o.url), curl: o.curl()})
}

// describe fills the parts of f that need the whole test: where it failed,
// the requests before, the setup verdict, the timeline and the cause key.
func (x *testRun) describe(f *Failure, out []byte) {
	step := x.test.Steps[x.stepIdx-1]
	f.Steps, f.Kind = len(x.test.Steps), step.Kind()
	f.Request, f.Requests = x.plan.num[x.stepIdx-1], x.plan.total
	route := requestRoute(step)
	if f.Request > 0 {
		for _, s := range x.sent {
			if s.num < f.Request {
				f.Before = append(f.Before, s.curl)
			}
		}
		if f.Request < x.plan.subject {
			f.Setup, f.Subject = true, x.failingLabel(step)
		}
	}
	if h, ok := x.target.(OutputHider); ok {
		f.OutputHidden = h.OutputHidden()
	}
	f.Timeline = x.timeline(out)
	f.Cause = causeKey(f, route)
}

// failingLabel is "METHOD /path" of the step's request as sent.
func (x *testRun) failingLabel(step *Step) string {
	r, _ := step.sends()
	if r == nil {
		return ""
	}
	for i := len(x.sent) - 1; i >= 0; i-- {
		if x.sent[i].num == x.plan.num[x.stepIdx-1] {
			label, _, _ := strings.Cut(x.sent[i].label, " → ")
			return label
		}
	}
	return strings.ToUpper(r.Method) + " " + r.Path.String()
}

// A server's output arrives a little after the answer it belongs to (a
// log line written after the response, a container's log stream): before
// a failure reads it, the output may settle for a moment.
const (
	settleQuiet = 25 * time.Millisecond
	settleMax   = 250 * time.Millisecond
	settlePoll  = 5 * time.Millisecond
)

// settleLogs waits until the server's output has not grown for
// settleQuiet, or settleMax has passed.
func (x *testRun) settleLogs(ctx context.Context) {
	if h, ok := x.target.(OutputHider); ok && h.OutputHidden() {
		return
	}
	deadline := time.Now().Add(settleMax)
	last, quietSince := x.target.LogMark(), time.Now()
	for time.Now().Before(deadline) && time.Since(quietSince) < settleQuiet {
		if sleep(ctx, settlePoll) != nil {
			return
		}
		if m := x.target.LogMark(); m != last {
			last, quietSince = m, time.Now()
		}
	}
}

// timelineLines bounds the merged log: the end, where the failure is.
const timelineLines = 30

// timeline merges the requests sent and the server's output during the
// test in order. A line goes under the request in flight when it was
// written, unless it names another request of the test ("GET /setup 200"
// arriving a moment late): output comes a little after the answer it
// belongs to. It is empty when the server printed nothing.
func (x *testRun) timeline(out []byte) string {
	if len(out) == 0 || len(x.sent) == 0 {
		return ""
	}
	// Each line by the offset it starts at, relative to x.mark. Output
	// dropped by the cap shifts offsets, which only misplaces a flood.
	under := make([][]string, len(x.sent)+1) // 0: before the first request
	off := int64(0)
	for _, l := range strings.SplitAfter(string(out), "\n") {
		start := x.mark + off
		off += int64(len(l))
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			continue
		}
		i := 0
		for i < len(x.sent) && x.sent[i].mark <= start {
			i++
		}
		if o := x.owner(l, i); o >= 0 {
			under[o] = append(under[o], "[your server] "+l)
		}
	}
	lines := under[0]
	for i, s := range x.sent {
		lines = append(lines, "[coach]       "+s.label)
		lines = append(lines, under[i+1]...)
	}
	if len(lines) > timelineLines {
		lines = append([]string{fmt.Sprintf("… %d earlier lines not shown", len(lines)-timelineLines)}, lines[len(lines)-timelineLines:]...)
	}
	return strings.Join(lines, "\n")
}

// owner is where a server line belongs: under request i (1-based; 0 is
// before any), the one in flight when it was written, unless the line
// names an earlier request and not that one. -1 is a line about a request
// of no kind this test sent: a late line of an earlier test, left out.
func (x *testRun) owner(line string, i int) int {
	if i > 0 && mentions(line, x.sent[i-1].route) {
		return i
	}
	for j := i - 1; j >= 1; j-- {
		if mentions(line, x.sent[j-1].route) {
			return j
		}
	}
	if routeLike.MatchString(line) {
		return -1
	}
	return i
}

var routeLike = regexp.MustCompile(`\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /`)

// mentions reports whether a log line names route ("GET /todos/7"), with
// or without its query, as access logs write it.
func mentions(line, route string) bool {
	for _, r := range []string{route, strings.SplitN(route, "?", 2)[0]} {
		for at := 0; ; {
			k := strings.Index(line[at:], r)
			if k < 0 {
				break
			}
			end := at + k + len(r)
			if end == len(line) || strings.ContainsRune(" \"'?\t", rune(line[end])) {
				return true
			}
			at = end
		}
	}
	return false
}

var (
	quotedText = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	jsonField  = regexp.MustCompile(`[A-Za-z0-9_-]+$`)
)

// causeKey groups failures a learner would fix with one change: the same
// check of the same route failing the same way (random titles aside), or a
// field missing wherever it is checked.
func causeKey(f *Failure, route string) string {
	exp := quotedText.ReplaceAllString(f.Expected, `"…"`)
	act := quotedText.ReplaceAllString(f.Actual, `"…"`)
	check := f.Check
	if _, c, ok := strings.Cut(check, " to the burst: "); ok {
		check = c // "answer 3 of 20 to the burst: status"
	}
	if act == "missing" && strings.HasPrefix(check, "json ") {
		// "$.completed" and "$.data[0].completed": one field missing.
		return "json field " + jsonField.FindString(check) + " missing"
	}
	if act == "missing" && strings.HasPrefix(check, "header ") {
		return check + " missing"
	}
	return route + " · " + check + " · " + exp + " · " + act
}

// setupMessage is the headline of a failure in a request that only
// prepared the test.
func setupMessage(f *Failure) string {
	what := fmt.Sprintf("setup request %d of %d (%s)", f.Request, f.Requests, f.Subject)
	var msg string
	if f.Check == "status" {
		msg = fmt.Sprintf("%s answered %s, expected %s", what, f.Actual, f.Expected)
	} else {
		msg = what + " failed: " + (&checkFailure{f: *f}).message()
	}
	if f.FixFirst != "" {
		msg += " — fix " + f.FixFirst + " first"
	} else {
		msg += " — the test stopped before what it checks"
	}
	return msg
}

// resolveSetups points each setup failure at the failed test that checks
// its request itself, and writes the setup headline.
func resolveSetups(tests []TestResult, names map[string]string) {
	for i := range tests {
		f := tests[i].Failure
		if f == nil || !f.Setup || f.Server != "" {
			continue
		}
		method, path, _ := strings.Cut(f.Subject, " ")
		want := method + " " + routePattern(path)
		for _, o := range tests {
			if o.ID == tests[i].ID || o.Status != StatusFail || o.Hidden {
				continue
			}
			if m, r := nameRoute(names[o.ID]); r != "" && m+" "+r == want {
				f.FixFirst = o.ID
				break
			}
		}
		if f.FixFirst != "" {
			// One cause: the failure of the test that is about it.
			if lead := findTest(tests, f.FixFirst); lead != nil && lead.Failure != nil {
				f.Cause = lead.Failure.Cause
			}
		}
		tests[i].Message = setupMessage(f)
	}
}

func findTest(tests []TestResult, id string) *TestResult {
	for i := range tests {
		if tests[i].ID == id {
			return &tests[i]
		}
	}
	return nil
}

// serverDown is what the run learnt when the server stopped running.
type serverDown struct {
	during   string // the test it stopped in
	text     string // "exited with code 1", "was killed: out of memory (limit 512 MiB)"
	tail     string // its last output during that test
	reported bool   // a failure already showed tail
}

// stateWait bounds how long a failure waits for a dying server to be seen
// as stopped: a refused connection can come before the exit is reaped.
const stateWait = 500 * time.Millisecond

// awaitCrash is called when a request lost its connection: it gives a
// server that is dying the moment to be seen stopped, so the failure
// reads its final output (a backend drains it once the server is gone).
func (x *testRun) awaitCrash(ctx context.Context, f *Failure) {
	sr, ok := x.target.(StateReporter)
	if !ok || !connectionLost(f) {
		return
	}
	deadline := time.Now().Add(stateWait)
	for {
		st, err := sr.ServerState(ctx)
		if err != nil || !st.Running || !time.Now().Before(deadline) || sleep(ctx, 50*time.Millisecond) != nil {
			return
		}
	}
}

// observeServer asks the target, after a test, whether the server still
// runs. A test that sends signals stops it on purpose; a later restart
// brings it back.
func (ru *run) observeServer(ctx context.Context, t *Test, mark int64, tr *TestResult) {
	sr, ok := ru.target.(StateReporter)
	if !ok || ctx.Err() != nil {
		return
	}
	st, err := sr.ServerState(ctx)
	if err != nil {
		return
	}
	switch {
	case st.Running:
		ru.down, ru.stoppedOnPurpose = nil, false
		return
	case ru.down != nil || ru.stoppedOnPurpose:
	case sendsSignal(t):
		ru.stoppedOnPurpose = true
	default:
		ru.down = &serverDown{during: t.ID, text: stateText(st), tail: logTail(ru.target.LogsSince(mark), 20)}
	}
}

// connectionLost is a failure a crash would cause: a refused, reset or
// closed connection (not a slow answer, which a crash does not explain).
func connectionLost(f *Failure) bool {
	if f == nil || f.Check != "response" {
		return false
	}
	for _, s := range []string{"connection refused", "closed the connection", "connection was reset"} {
		if strings.Contains(f.Actual, s) {
			return true
		}
	}
	return false
}

func sendsSignal(t *Test) bool {
	for _, s := range t.Steps {
		if _, ok := s.do.(*signalStep); ok {
			return true
		}
	}
	return false
}

func stateText(st ServerState) string {
	switch {
	case st.OOMKilled && st.MemoryLimit > 0:
		return fmt.Sprintf("was killed: out of memory (limit %s)", mib(int(st.MemoryLimit)))
	case st.OOMKilled:
		return "was killed: out of memory"
	case st.ExitCode > 128:
		return "was killed (exit code " + exitText(st.ExitCode) + ")"
	}
	return fmt.Sprintf("exited with code %d", st.ExitCode)
}

// blameServer rewrites a failure that a stopped server explains: the
// first says what happened, with the server's last output; the later ones
// share its cause, so a report shows them as one problem.
func (ru *run) blameServer(tr *TestResult) {
	d := ru.down
	if d == nil || tr.Failure == nil {
		return
	}
	f := tr.Failure
	f.Cause = "server stopped"
	if d.during == tr.ID {
		f.Server = fmt.Sprintf("your server %s during test %s", d.text, d.during)
	} else {
		f.Server = fmt.Sprintf("your server is not running: it %s during test %s", d.text, d.during)
	}
	if connectionLost(f) {
		f.Actual = "no answer: " + f.Server
	}
	if !d.reported && d.during != tr.ID && f.LogTail == "" {
		// The crash happened in a test that passed: its output is the
		// one that explains this failure.
		f.LogTail, tr.Output = d.tail, d.tail
	}
	d.reported = true
	tr.Message = f.Server
}
