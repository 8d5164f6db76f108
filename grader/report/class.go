package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coachcli/coach/grader"
)

// Submission is one graded submission of a class: its id (the folder name
// `coach grade` writes its results to) and its result. Class writers are
// for instructors: they show hidden tests in full.
type Submission struct {
	ID     string
	Result *grader.Result
}

// SortSubmissions orders a class by submission id, so the summary of a
// sharded run merged back together is the summary of an unsharded one.
func SortSubmissions(subs []Submission) {
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].ID < subs[j].ID })
}

// column is one test of the class, the union over every submission's
// tests in suite order (a submission that did not build has none).
type column struct {
	ID       string
	Name     string
	Pos      int
	MaxScore float64
	Hidden   bool
}

func columns(subs []Submission) []column {
	seen := map[string]int{}
	var cols []column
	for _, s := range subs {
		if s.Result == nil {
			continue
		}
		for i, t := range s.Result.Tests {
			if _, ok := seen[t.ID]; ok {
				continue
			}
			pos := t.TaskID
			if pos == 0 {
				pos = i + 1
			}
			seen[t.ID] = len(cols)
			cols = append(cols, column{ID: t.ID, Name: t.Name, Pos: pos, MaxScore: t.MaxScore, Hidden: t.Hidden})
		}
	}
	sort.SliceStable(cols, func(i, j int) bool { return cols[i].Pos < cols[j].Pos })
	return cols
}

func testStatus(r *grader.Result, id string) (grader.Status, bool) {
	if r == nil {
		return "", false
	}
	for _, t := range r.Tests {
		if t.ID == id {
			return t.Status, true
		}
	}
	return "", false
}

// classStats are the figures every class writer shows.
type classStats struct {
	N         int
	PassedAll int
	Errored   int
	Mean      float64 // mean fraction of the points, 0..1
	Median    float64 // median fraction
	MeanScore float64
	MaxScore  float64 // the largest max_score (one step: everyone's)
}

func stats(subs []Submission) classStats {
	st := classStats{N: len(subs)}
	if len(subs) == 0 {
		return st
	}
	fr := make([]float64, 0, len(subs))
	var sum, sumScore float64
	for _, s := range subs {
		r := s.Result
		if r.Passed() {
			st.PassedAll++
		}
		if r.Status == grader.StatusError {
			st.Errored++
		}
		f := fraction(r)
		fr = append(fr, f)
		sum += f
		sumScore += r.Score
		st.MaxScore = max(st.MaxScore, r.MaxScore)
	}
	sort.Float64s(fr)
	st.Mean = sum / float64(len(fr))
	st.MeanScore = sumScore / float64(len(fr))
	if n := len(fr); n%2 == 1 {
		st.Median = fr[n/2]
	} else {
		st.Median = (fr[n/2-1] + fr[n/2]) / 2
	}
	return st
}

// fraction is the share of points earned; a suite worth nothing counts as
// all or nothing by its verdict.
func fraction(r *grader.Result) float64 {
	if r.MaxScore <= 0 {
		if r.Passed() {
			return 1
		}
		return 0
	}
	return min(max(r.Score/r.MaxScore, 0), 1)
}

func percent(f float64) string {
	return strconv.FormatFloat(f*100, 'f', 0, 64) + "%"
}

// notPassed lists a submission's tests that did not pass, or the run's
// message when it never reached its tests.
func notPassed(r *grader.Result) string {
	if len(r.Tests) == 0 && r.Message != "" {
		return firstLine(r.Message)
	}
	var ids []string
	for _, t := range r.Tests {
		if t.Status != grader.StatusPass {
			ids = append(ids, t.ID)
		}
	}
	s := strings.Join(ids, ", ")
	if r.Status == grader.StatusError && r.Message != "" {
		s = strings.TrimPrefix(firstLine(r.Message)+"; "+s, "; ")
		s = strings.TrimSuffix(s, "; ")
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(clean(s)), "\n")
	return strings.TrimSpace(s)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// ClassCSV writes one row per submission and one column per test (its
// status: pass, fail, error, skip, or empty when the test did not run), for
// spreadsheets and gradebooks. Text cells that a spreadsheet would take for
// a formula are prefixed with an apostrophe (CSV injection).
func ClassCSV(w io.Writer, subs []Submission) error {
	cw := csv.NewWriter(w)
	cols := columns(subs)
	head := []string{"submission", "status", "score", "max_score", "passed", "failed", "errored", "skipped",
		"duration_ms", "exercise", "step", "seed", "coach_version", "message"}
	for _, c := range cols {
		head = append(head, c.ID)
	}
	_ = cw.Write(head)
	for _, s := range subs {
		r := s.Result
		c := tally(r)
		msg := ""
		if r.Message != "" && r.Status != grader.StatusPass {
			msg = truncate(firstLine(r.Message), 200)
		}
		row := []string{csvText(s.ID), string(r.Status), points(r.Score), points(r.MaxScore),
			strconv.Itoa(c.passed), strconv.Itoa(c.failed), strconv.Itoa(c.errored), strconv.Itoa(c.skipped),
			strconv.FormatInt(r.DurationMS, 10), csvText(r.Exercise), strconv.Itoa(r.Step),
			strconv.FormatInt(r.Seed, 10), csvText(r.CoachVersion), csvText(msg)}
		for _, col := range cols {
			st, _ := testStatus(r, col.ID)
			row = append(row, string(st))
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write class csv: %w", err)
	}
	return nil
}

func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ClassTable writes the class as a table for the terminal: one line per
// submission with its verdict, points, tests passed, time and what did not
// pass, then the class's figures.
func ClassTable(w io.Writer, subs []Submission, o TerminalOptions) error {
	st := style{o.Color}
	sw := &stickyWriter{w: w}
	head := []string{"SUBMISSION", "STATUS", "POINTS", "TESTS", "TIME", "NOT PASSED"}
	rows := make([][]string, 0, len(subs))
	for _, s := range subs {
		r := s.Result
		c := tally(r)
		rows = append(rows, []string{clean(s.ID), statusWord(r.Status), points(r.Score) + "/" + points(r.MaxScore),
			fmt.Sprintf("%d/%d", c.passed, len(r.Tests)), humanDuration(r.DurationMS), truncate(notPassed(r), 70)})
	}
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	// Padding is computed on the plain text, then colour is added, so
	// escape sequences never skew the columns.
	line := func(cells []string, paint func(i int, s string) string) {
		var b strings.Builder
		for i, cell := range cells {
			pad := ""
			if i < len(cells)-1 {
				pad = strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell)+2)
			}
			b.WriteString(paint(i, cell) + pad)
		}
		sw.printf("%s\n", strings.TrimRight(b.String(), " "))
	}
	line(head, func(_ int, s string) string { return st.bold(s) })
	for k, row := range rows {
		r := subs[k].Result
		line(row, func(i int, s string) string {
			if i != 1 {
				return s
			}
			switch r.Status {
			case grader.StatusPass:
				return st.green(s)
			case grader.StatusFail:
				return st.red(s)
			default:
				return st.yellow(s)
			}
		})
	}
	s := stats(subs)
	sw.printf("\n%s · %d passed every test · %d did not build or run · mean %s (%s) · median %s\n",
		plural(s.N, "submission", "submissions"), s.PassedAll, s.Errored,
		strconv.FormatFloat(s.MeanScore, 'f', 1, 64)+"/"+points(s.MaxScore), percent(s.Mean), percent(s.Median))
	if sw.err != nil {
		return fmt.Errorf("write class table: %w", sw.err)
	}
	return nil
}

// ClassMarkdown writes the class summary for $GITHUB_STEP_SUMMARY (or a
// GitLab job's artifacts): the figures and a table of submissions.
func ClassMarkdown(w io.Writer, subs []Submission) error {
	sw := &stickyWriter{w: w}
	s := stats(subs)
	title := "class"
	if len(subs) > 0 {
		title = mdText(subs[0].Result.Exercise)
		if st := subs[0].Result.Step; st > 0 {
			title += fmt.Sprintf(" (step %d)", st)
		}
	}
	sw.printf("### coach grade: %s\n\n", title)
	sw.printf("**%s** · %d passed every test · %d did not build or run · mean %s · median %s\n\n",
		plural(s.N, "submission", "submissions"), s.PassedAll, s.Errored, percent(s.Mean), percent(s.Median))
	if len(subs) > 0 {
		sw.printf("| | Submission | Status | Points | Tests | Not passed |\n|---|---|---|---:|---:|---|\n")
		for _, sub := range subs {
			r := sub.Result
			sw.printf("| %s | %s | %s | %s/%s | %d/%d | %s |\n", statusEmoji(r.Status), mdText(sub.ID), statusWord(r.Status),
				points(r.Score), points(r.MaxScore), tally(r).passed, len(r.Tests), mdText(truncate(notPassed(r), 120)))
		}
	}
	if sw.err != nil {
		return fmt.Errorf("write class summary: %w", sw.err)
	}
	return nil
}

// ClassAnnotations writes GitHub workflow commands for a class: an error
// for each submission that did not pass and a Points notice for each.
// Details stay in the step summary and the per-submission files: GitHub
// shows only the first few annotations of a step.
func ClassAnnotations(w io.Writer, subs []Submission) error {
	sw := &stickyWriter{w: w}
	for _, s := range subs {
		r := s.Result
		if !r.Passed() {
			sw.printf("::error title=%s::%s\n", escapeProperty(s.ID+": "+statusWord(r.Status)), escapeData(clean(notPassed(r))))
		}
		sw.printf("::notice title=%s::%s\n", escapeProperty("Points "+s.ID), escapeData(fmt.Sprintf("Points %s/%s", points(r.Score), points(r.MaxScore))))
	}
	if sw.err != nil {
		return fmt.Errorf("write class annotations: %w", sw.err)
	}
	return nil
}

// ReadJSON reads a results.json written by JSON back into the results
// model, so `coach grade merge` can summarise the outputs of shards.
func ReadJSON(rd io.Reader) (*grader.Result, error) {
	var in jsonResult
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("read results json: %w", err)
	}
	if in.Version != grader.ResultsVersion {
		return nil, fmt.Errorf("read results json: version %d, want %d", in.Version, grader.ResultsVersion)
	}
	switch in.Status {
	case grader.StatusPass, grader.StatusFail, grader.StatusError:
	default:
		return nil, fmt.Errorf("read results json: unknown status %q", in.Status)
	}
	r := &grader.Result{
		Version: in.Version, Status: in.Status, Message: deref(in.Message), Tests: make([]grader.TestResult, 0, len(in.Tests)),
		Score: in.Score, MaxScore: in.MaxScore, DurationMS: in.DurationMS, Exercise: in.Exercise, Step: in.Step,
		CoachVersion: in.CoachVersion, Seed: in.Seed, Target: in.Target,
	}
	if in.StartedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, in.StartedAt)
		if err != nil {
			return nil, fmt.Errorf("read results json: started_at: %w", err)
		}
		r.StartedAt = t
	}
	for _, t := range in.Tests {
		r.Tests = append(r.Tests, grader.TestResult{
			ID: t.ID, Name: t.Name, Status: t.Status, Message: deref(t.Message), Output: deref(t.Output), TaskID: t.TaskID,
			Score: t.Score, MaxScore: t.MaxScore, DurationMS: t.DurationMS, Hint: t.Hint, Hidden: t.Hidden,
			Failure: t.Failure, Transcript: t.Transcript,
		})
	}
	return r, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
