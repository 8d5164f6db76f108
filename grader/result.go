package grader

import "time"

// Status is the verdict of one test or of a whole run. The values follow
// Exercism's results.json v3 (pass, fail, error) plus skip for a test that
// could not be checked on this target (it never counts as a pass).
type Status string

const (
	StatusPass  Status = "pass"
	StatusFail  Status = "fail"
	StatusError Status = "error"
	StatusSkip  Status = "skip"
)

// ResultsVersion is the results.json shape version (Exercism v3 compatible).
const ResultsVersion = 3

// Result is the outcome of running one suite against one target. Every
// writer (terminal, JSON, JUnit, ...) renders this one model.
type Result struct {
	Version      int          `json:"version"`
	Status       Status       `json:"status"`
	Message      string       `json:"message,omitempty"`
	Tests        []TestResult `json:"tests"`
	Score        float64      `json:"score"`
	MaxScore     float64      `json:"max_score"`
	DurationMS   int64        `json:"duration_ms"`
	Exercise     string       `json:"exercise"` // exercise id, e.g. "todo-api"
	Step         int          `json:"step"`
	CoachVersion string       `json:"coach_version"`
	Seed         int64        `json:"seed"`
	Target       string       `json:"target"` // docker, process or url
	StartedAt    time.Time    `json:"started_at"`
	// Startup is what the server printed before the first test (its last
	// lines), shown once rather than with every failure.
	Startup string `json:"startup_output,omitempty"`
}

// TestResult is the outcome of one suite test.
type TestResult struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Status     Status   `json:"status"`
	Message    string   `json:"message,omitempty"` // one-paragraph reason on fail/error/skip
	Output     string   `json:"output,omitempty"`  // server output captured during the test (tail)
	TaskID     int      `json:"task_id,omitempty"` // 1-based position in the suite
	Score      float64  `json:"score"`
	MaxScore   float64  `json:"max_score"`
	DurationMS int64    `json:"duration_ms"`
	Hint       string   `json:"hint,omitempty"`
	Hidden     bool     `json:"hidden,omitempty"`
	Failure    *Failure `json:"failure,omitempty"`
	// Transcript holds every exchange of the test, for -v output.
	Transcript []Exchange `json:"transcript,omitempty"`
}

// Failure is everything a learner needs to act on a failed check.
type Failure struct {
	Step  int    `json:"step"`            // 1-based index of the failing step in the test
	Steps int    `json:"steps,omitempty"` // how many steps the test has
	Kind  string `json:"kind,omitempty"`  // the failing step's kind: request, burst, logs, exit, ...
	Check string `json:"check"`           // what was checked, e.g. "status", "header Content-Type", "json $.id"
	// Request is the failing request's 1-based position among the test's
	// Requests (0 when the failing step sends none).
	Request  int `json:"request,omitempty"`
	Requests int `json:"requests,omitempty"`
	// Setup is set when the failing request only prepares what the test
	// is about (a POST /todos in a test of GET /todos/{id}); Subject names
	// it ("POST /todos") and FixFirst is the failed test that checks that
	// request itself, the one to fix first.
	Setup    bool   `json:"setup,omitempty"`
	Subject  string `json:"subject,omitempty"`
	FixFirst string `json:"fix_first,omitempty"`
	// Before has the curl lines of the requests the test sent before the
	// failing one, which all passed.
	Before []string `json:"before,omitempty"`
	// Cause is a key shared by failures with one cause (the same check of
	// the same request failing the same way, or a crashed server), so
	// reports can show them as one problem.
	Cause string `json:"cause,omitempty"`
	// Server says what happened to the server when it was no longer
	// running, e.g. "your server exited with code 1 during test todos-get".
	Server string `json:"server,omitempty"`
	// Timeline merges coach's requests and the server's output during the
	// test in the order they happened ("[coach] ..." / "[your server] ...").
	Timeline string `json:"timeline,omitempty"`
	// OutputHidden is set when coach cannot see the server's output (--url).
	OutputHidden bool   `json:"output_hidden,omitempty"`
	Curl         string `json:"curl,omitempty"`     // the request as a copy-pasteable curl command
	Expected     string `json:"expected"`           // human-readable expectation
	Actual       string `json:"actual"`             // what the server did
	Diff         string `json:"diff,omitempty"`     // for JSON values: a line diff of expected vs actual
	Excerpt      string `json:"excerpt,omitempty"`  // start of the response body
	LogTail      string `json:"log_tail,omitempty"` // last lines of the server's own output
}

// Exchange is one request and its response, as sent and received.
type Exchange struct {
	Curl       string              `json:"curl"`
	Method     string              `json:"method"`
	URL        string              `json:"url"`
	ReqHeaders map[string][]string `json:"request_headers,omitempty"`
	ReqBody    string              `json:"request_body,omitempty"`
	Status     int                 `json:"status,omitempty"`
	Headers    map[string][]string `json:"headers,omitempty"`
	Body       string              `json:"body,omitempty"`  // capped
	Error      string              `json:"error,omitempty"` // transport error, if any
	DurationMS int64               `json:"duration_ms"`
}

// Passed reports whether every test passed.
func (r *Result) Passed() bool { return r.Status == StatusPass }
