// Package grader runs HTTP test suites against a learner's server.
//
// A suite (suite.yaml, see docs/formats.md) is decoded strictly into typed
// values by ParseSuite: templates, regular expressions, JSONPaths and JSON
// Schemas are all compiled at load time, so a broken suite fails with a
// file:line:column message before any request is sent. Run then executes
// the suite against a Target, the small interface through which the
// grader reaches, observes and (when the backend allows it) restarts or
// signals the server. The grader knows nothing of Docker or processes.
//
// Every failure carries what a learner needs to act on it: the request as
// a curl command, what was expected, what the server did, a diff for JSON
// values, the start of the body and the tail of the server's own output.
package grader
