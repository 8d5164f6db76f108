package grader

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"
)

// RunOptions tune one run of a suite.
type RunOptions struct {
	Seed               int64             // seeds every random template function
	Env                map[string]string // the server's environment, as .env
	Port               int               // the server's port, as .port
	DefaultTestTimeout time.Duration     // for tests without a timeout; 0 means 30s
	Only               []string          // test ids to run; empty runs all
	Transcript         bool              // record every exchange, for -v
	OnTest             func(TestResult)  // called as each test finishes
	// Lang is the workspace's language (one of exercises.Languages) for the
	// tests' hints; any other value gives every hint.
	Lang string
}

const defaultTestTimeout = 30 * time.Second

// run is the state shared by the tests of one run.
type run struct {
	target    Target
	opts      RunOptions
	r         *renderer
	vars      map[string]any
	transport *http.Transport
	client    *http.Client
	// down is set once the server is seen stopped, until it runs again.
	down             *serverDown
	stoppedOnPurpose bool            // a test signalled it
	causes           map[string]bool // of the failures so far
}

// Run executes s against t. Tests run one after another in file order;
// the caller fills Exercise, Step, CoachVersion and Target.
func Run(ctx context.Context, s *Suite, t Target, opts RunOptions) *Result {
	start := time.Now()
	res := &Result{Version: ResultsVersion, Seed: opts.Seed, StartedAt: start.UTC(), Tests: []TestResult{}}
	defer func() { res.DurationMS = time.Since(start).Milliseconds() }()

	picked, err := pick(s, opts.Only)
	if err != nil {
		res.Status, res.Message = StatusError, err.Error()
		return res
	}
	ru := &run{target: t, opts: opts, r: newRenderer(opts.Seed), transport: newTransport(t), causes: map[string]bool{}}
	defer ru.transport.CloseIdleConnections()
	ru.client = &http.Client{
		Transport: ru.transport,
		// Redirects are answers to check, never to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if ru.vars, err = ru.evalVars(s); err != nil {
		res.Status, res.Message = StatusError, err.Error()
		return res
	}
	res.Startup = logTail(t.LogsSince(0), 20)
	names := map[string]string{}
	for _, p := range picked {
		res.MaxScore += p.test.Points
		names[p.test.ID] = p.test.Name
		var tr TestResult
		if ctx.Err() != nil {
			tr = TestResult{ID: p.test.ID, Name: p.test.Name, Status: StatusError, Message: "check interrupted"}
		} else {
			mark := t.LogMark()
			tr = ru.runTest(ctx, p.test)
			ru.observeServer(ctx, p.test, mark, &tr)
			ru.blameServer(&tr)
		}
		tr.TaskID, tr.MaxScore, tr.Hidden = p.pos, p.test.Points, p.test.Hidden
		if tr.Status == StatusPass {
			tr.Score = p.test.Points
			res.Score += tr.Score
		}
		res.Tests = append(res.Tests, tr)
		if opts.OnTest != nil {
			opts.OnTest(tr)
		}
	}
	resolveSetups(res.Tests, names)
	res.Status, res.Message = verdict(res.Tests)
	return res
}

type picked struct {
	test *Test
	pos  int // 1-based position in the suite
}

func pick(s *Suite, only []string) ([]picked, error) {
	want := map[string]bool{}
	for _, id := range only {
		want[id] = true
	}
	var out []picked
	for i, t := range s.Tests {
		if len(only) == 0 || want[t.ID] {
			out = append(out, picked{t, i + 1})
			delete(want, t.ID)
		}
	}
	if len(want) > 0 {
		var ids []string
		for _, id := range only {
			if want[id] {
				ids = append(ids, id)
			}
		}
		return nil, fmt.Errorf("no test with id %s in this suite", strings.Join(ids, ", "))
	}
	return out, nil
}

func (ru *run) baseData() map[string]any {
	env := ru.opts.Env
	if env == nil {
		env = map[string]string{}
	}
	return map[string]any{"env": env, "port": ru.opts.Port}
}

func (ru *run) evalVars(s *Suite) (map[string]any, error) {
	data := ru.baseData()
	vars := map[string]any{}
	for _, v := range s.Vars {
		x, err := v.Value.render(ru.r, data)
		if err != nil {
			return nil, fmt.Errorf("suite variable %s: %w", v.Name, err)
		}
		data[v.Name], vars[v.Name] = x, x
	}
	return vars, nil
}

// verdict is pass only when every test passed; an error (the run could
// not proceed) outranks a failure.
func verdict(tests []TestResult) (Status, string) {
	passed, failed, skipped, errored := 0, 0, 0, 0
	for _, t := range tests {
		switch t.Status {
		case StatusPass:
			passed++
		case StatusFail:
			failed++
		case StatusSkip:
			skipped++
		default:
			errored++
		}
	}
	msg := fmt.Sprintf("%d of %d tests passed", passed, len(tests))
	if skipped > 0 {
		msg += fmt.Sprintf(", %d could not be checked here", skipped)
	}
	switch {
	case errored > 0:
		return StatusError, msg
	case failed > 0 || skipped > 0:
		return StatusFail, msg
	}
	return StatusPass, msg
}

// testRun is the state of one test: its cookies, captures and log mark.
type testRun struct {
	*run
	test    *Test
	jar     *cookiejar.Jar
	data    map[string]any
	mark    int64
	async   map[string]chan asyncResult
	streams map[string]*stream
	exchs   []Exchange
	plan    requestPlan
	sent    []sentRequest
	stepIdx int
	note    string // reported as the message of a passed test
}

func (ru *run) runTest(ctx context.Context, t *Test) TestResult {
	start := time.Now()
	timeout := t.Timeout
	if timeout == 0 {
		timeout = ru.opts.DefaultTestTimeout
	}
	if timeout == 0 {
		timeout = defaultTestTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	jar, _ := cookiejar.New(nil)
	x := &testRun{run: ru, test: t, jar: jar, data: ru.baseData(), mark: ru.target.LogMark(), async: map[string]chan asyncResult{}, streams: map[string]*stream{}, plan: planRequests(t)}
	defer x.closeStreams()
	for k, v := range ru.vars {
		x.data[k] = v
	}
	tr := TestResult{ID: t.ID, Name: t.Name, Status: StatusPass, Hint: t.HintFor(ru.opts.Lang)}
	for i, s := range t.Steps {
		x.stepIdx = i + 1
		if err := s.run(tctx, x); err != nil {
			x.fail(ctx, tctx, timeout, err, &tr)
			break
		}
	}
	tr.DurationMS = time.Since(start).Milliseconds()
	if ru.opts.Transcript {
		tr.Transcript = x.exchs
	}
	if tr.Status == StatusPass {
		tr.Hint, tr.Message = "", x.note
	}
	return tr
}

// fail records why a step stopped the test.
func (x *testRun) fail(ctx, tctx context.Context, timeout time.Duration, err error, tr *TestResult) {
	var cf *checkFailure
	var skip *skipError
	switch {
	case ctx.Err() != nil:
		tr.Status, tr.Message = StatusError, "check interrupted"
		return
	case errors.As(err, &cf):
		tr.Status, tr.Message = StatusFail, cf.message()
		f := cf.f
		f.Step = x.stepIdx
		tr.Failure = &f
	case errors.As(err, &skip):
		tr.Status, tr.Message = StatusSkip, skip.msg
		return
	case tctx.Err() != nil:
		cf := &checkFailure{f: Failure{Step: x.stepIdx, Check: "time", Expected: "the test to finish within " + timeout.String(),
			Actual: fmt.Sprintf("step %d (%s) was still running", x.stepIdx, x.test.Steps[x.stepIdx-1].Kind())}}
		tr.Status, tr.Message, tr.Failure = StatusFail, cf.message(), &cf.f
	default:
		// Anything else is a problem of the suite, not of the server.
		tr.Status, tr.Message = StatusError, fmt.Sprintf("step %d: %v", x.stepIdx, err)
		return
	}
	x.awaitCrash(ctx, tr.Failure)
	// Only the first failure of a cause is shown in full: the others need
	// not wait for late output.
	if cause := causeKey(tr.Failure, requestRoute(x.test.Steps[x.stepIdx-1])); !x.causes[cause] {
		x.causes[cause] = true
		x.settleLogs(ctx)
	}
	out := x.target.LogsSince(x.mark)
	tail := logTail(out, 20)
	tr.Failure.LogTail, tr.Output = tail, tail
	x.describe(tr.Failure, out)
	if tr.Failure.Setup {
		tr.Message = setupMessage(tr.Failure)
	}
}

// logTail returns the last n lines of out.
func logTail(out []byte, n int) string {
	s := strings.TrimRight(string(out), "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checkFailure is a check the server did not pass.
type checkFailure struct {
	f Failure
}

func (c *checkFailure) Error() string { return c.message() }

// message is the one-line summary, e.g. "expected status 201, got 200".
func (c *checkFailure) message() string {
	switch c.f.Check {
	case "status":
		return fmt.Sprintf("expected status %s, got %s", c.f.Expected, c.f.Actual)
	case "response":
		// "GET /hang: no response within 10s" says it all.
		return fmt.Sprintf("%s: %s", strings.TrimPrefix(c.f.Expected, "an HTTP response to "), c.f.Actual)
	}
	return fmt.Sprintf("%s: expected %s, got %s", c.f.Check, oneLine(c.f.Expected), oneLine(c.f.Actual))
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return clip(s, 300)
}

// skipError is a step this target cannot perform.
type skipError struct{ msg string }

func (e *skipError) Error() string { return e.msg }

func notCheckable(what string) error {
	return &skipError{msg: fmt.Sprintf("not checkable here: needs %s (run under docker or --sandbox process)", what)}
}
