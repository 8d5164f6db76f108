package report

import (
	"time"

	"github.com/coachcli/coach/grader"
)

// Fixtures are built by hand with fixed times, durations, ports and seeds so
// golden files are byte-for-byte stable; no normalisation is needed.

var started = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// secret appears only in the hidden test; it must never reach output that
// is not meant to show hidden tests.
const secret = "alg-none-token-accepted"

func failedRun() *grader.Result {
	return &grader.Result{
		Version:      grader.ResultsVersion,
		Status:       grader.StatusFail,
		Score:        4,
		MaxScore:     12,
		DurationMS:   1234,
		Exercise:     "todo-api",
		Step:         3,
		CoachVersion: "0.4.0",
		Seed:         42,
		Target:       "docker",
		StartedAt:    started,
		Tests: []grader.TestResult{
			{
				ID:         "health-json",
				Name:       "GET /health answers JSON",
				Status:     grader.StatusPass,
				TaskID:     1,
				Score:      2,
				MaxScore:   2,
				DurationMS: 12,
				Transcript: []grader.Exchange{{
					Curl:       "curl -sS http://localhost:8080/health",
					Method:     "GET",
					URL:        "http://localhost:8080/health",
					ReqHeaders: map[string][]string{"User-Agent": {"coach/0.4.0"}, "Accept": {"application/json"}},
					Status:     200,
					Headers:    map[string][]string{"Content-Type": {"application/json"}, "Content-Length": {"15"}},
					Body:       `{"status":"ok"}`,
					DurationMS: 3,
				}},
			},
			{
				ID:         "todos-create",
				Name:       "POST /todos creates a todo",
				Status:     grader.StatusFail,
				Message:    "POST /todos answered with a body that is missing fields.",
				TaskID:     2,
				Score:      0,
				MaxScore:   3,
				DurationMS: 41,
				Hint:       "Give every new todo an \"id\" (a UUID) and \"done\": false,\nand send the stored todo back.",
				Output:     "\x1b[32mINFO\x1b[0m listening on :8080\nPOST /todos 201",
				Failure: &grader.Failure{
					Step: 1, Steps: 1, Kind: "request", Request: 1, Requests: 1,
					Check:    "json $",
					Curl:     `curl -sS -X POST http://localhost:8080/todos -H 'Content-Type: application/json' -d '{"title":"buy milk 7f3a"}'`,
					Expected: `an object with "id" (uuid), "title": "buy milk 7f3a", "done": false`,
					Actual:   `{"title":"buy milk 7f3a"}`,
					Diff:     "  {\n-   \"done\": false,\n-   \"id\": <uuid>,\n    \"title\": \"buy milk 7f3a\"\n  }",
					Excerpt:  `{"title":"buy milk 7f3a"}`,
					LogTail:  "\x1b[32mINFO\x1b[0m listening on :8080\r\nPOST /todos 201\x07",
				},
				Transcript: []grader.Exchange{{
					Curl:       `curl -sS -X POST http://localhost:8080/todos -H 'Content-Type: application/json' -d '{"title":"buy milk 7f3a"}'`,
					Method:     "POST",
					URL:        "http://localhost:8080/todos",
					ReqHeaders: map[string][]string{"Content-Type": {"application/json"}},
					ReqBody:    `{"title":"buy milk 7f3a"}`,
					Status:     201,
					Headers:    map[string][]string{"Content-Type": {"application/json"}},
					Body:       `{"title":"buy milk 7f3a"}`,
					DurationMS: 5,
				}},
			},
			{
				ID:         "todos-list",
				Name:       "GET /todos lists todos",
				Status:     grader.StatusError,
				Message:    "GET /todos: the connection was reset: did your server crash?",
				TaskID:     3,
				Score:      0,
				MaxScore:   2,
				DurationMS: 1003,
				Output:     "TypeError: Cannot read properties of undefined (reading 'map')\n    at /app/server.js:21:30",
				Transcript: []grader.Exchange{{
					Curl:       "curl -sS http://localhost:8080/todos",
					Method:     "GET",
					URL:        "http://localhost:8080/todos",
					Error:      "read: connection reset by peer",
					DurationMS: 1001,
				}},
			},
			{
				ID:       "restart-keeps-data",
				Name:     "todos survive a restart",
				Status:   grader.StatusSkip,
				Message:  "the docker target was started with --no-restart",
				TaskID:   4,
				MaxScore: 2,
			},
			{
				ID:         "auth-forged",
				Name:       "rejects a token signed with alg none",
				Status:     grader.StatusFail,
				Message:    "GET /me accepted " + secret,
				TaskID:     5,
				MaxScore:   1,
				DurationMS: 8,
				Hidden:     true,
				Hint:       "verify the " + secret,
				Failure: &grader.Failure{
					Step: 1, Steps: 1, Kind: "request", Request: 1, Requests: 1, Check: "status", Curl: "curl -sS http://localhost:8080/me -H 'Authorization: Bearer " + secret + "'",
					Expected: "401", Actual: "200", LogTail: "GET /me 200",
				},
			},
			{
				ID:         "auth-expired",
				Name:       "rejects an expired token",
				Status:     grader.StatusPass,
				TaskID:     6,
				Score:      2,
				MaxScore:   2,
				DurationMS: 6,
				Hidden:     true,
			},
		},
	}
}

func passedRun() *grader.Result {
	return &grader.Result{
		Version:      grader.ResultsVersion,
		Status:       grader.StatusPass,
		Score:        2,
		MaxScore:     2,
		DurationMS:   350,
		Exercise:     "hello-server",
		Step:         1,
		CoachVersion: "0.4.0",
		Seed:         7,
		Target:       "process",
		StartedAt:    started,
		Tests: []grader.TestResult{
			{ID: "root-hello", Name: "GET / says hello", Status: grader.StatusPass, TaskID: 1, Score: 1, MaxScore: 1, DurationMS: 4},
			{ID: "not-found", Name: "unknown paths answer 404", Status: grader.StatusPass, TaskID: 2, Score: 1, MaxScore: 1, DurationMS: 3},
		},
	}
}

// buildFailedRun is a run that never reached its tests.
func buildFailedRun() *grader.Result {
	return &grader.Result{
		Version:      grader.ResultsVersion,
		Status:       grader.StatusError,
		Message:      "your code did not build:\nserver.js:3\n  app.get('/', (req, res) => {\n  ^^^\nSyntaxError: Unexpected identifier 'app'",
		MaxScore:     12,
		DurationMS:   2100,
		Exercise:     "todo-api",
		Step:         3,
		CoachVersion: "0.4.0",
		Seed:         42,
		Target:       "docker",
		StartedAt:    started,
		Tests:        []grader.TestResult{},
	}
}
