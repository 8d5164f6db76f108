package exercises_test

import (
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/internal/golden"
)

const auditFile = "../docs/audit.md"

// auditSteps are the steps docs/audit.md covers.
var auditSteps = []int{5, 6, 7, 8, 9, 10, 11, 12, 13}

var (
	auditHeadingRE = regexp.MustCompile(`^## step-(\d+)$`)
	auditCellRE    = regexp.MustCompile(`(?:^|[^\\])\|`)
	auditIDRE      = regexp.MustCompile("`([a-z0-9]+(?:-[a-z0-9]+)*)`")
)

// auditCells splits a table row on the pipes that are not escaped.
func auditCells(row string) []string {
	var cells []string
	rest := strings.TrimSpace(row)
	rest = strings.TrimPrefix(rest, "|")
	for {
		loc := auditCellRE.FindStringIndex(rest)
		if loc == nil {
			break
		}
		end := loc[1] - 1
		cells = append(cells, strings.TrimSpace(rest[:end]))
		rest = rest[loc[1]:]
	}
	return cells
}

type auditStep struct {
	tests   []string            // in suite order
	mutants map[string][]string // caught_by -> mutant ids
	all     []string            // every mutant id
}

func loadAuditSteps(t *testing.T) map[int]*auditStep {
	t.Helper()
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	steps := map[int]*auditStep{}
	for _, ex := range cat.Exercises {
		if !slices.Contains(auditSteps, ex.Step) {
			continue
		}
		data, err := fs.ReadFile(ex.FS, "suite.yaml")
		require.NoError(t, err)
		suite, err := grader.ParseSuite(ex.Dir+"/suite.yaml", data)
		require.NoError(t, err)
		st := &auditStep{mutants: map[string][]string{}}
		for _, tc := range suite.Tests {
			st.tests = append(st.tests, tc.ID)
		}
		for _, m := range ex.Mutants {
			st.mutants[m.CaughtBy] = append(st.mutants[m.CaughtBy], m.ID)
			st.all = append(st.all, m.ID)
		}
		steps[ex.Step] = st
	}
	require.Len(t, steps, len(auditSteps), "every audited step is in the catalogue")
	return steps
}

// TestAuditTable holds docs/audit.md to the suites and mutants: every test
// it names exists, every test and mutant of a step is in its table, and the
// mutants column lists exactly the mutants its tests must catch.
func TestAuditTable(t *testing.T) {
	steps := loadAuditSteps(t)
	raw, err := os.ReadFile(auditFile)
	require.NoError(t, err)
	lines := strings.Split(string(raw), "\n")

	step := 0
	seenSteps := map[int]bool{}
	named := map[int]map[string]bool{}
	listed := map[int]map[string]bool{}
	for i, line := range lines {
		where := fmt.Sprintf("%s:%d", auditFile, i+1)
		if m := auditHeadingRE.FindStringSubmatch(line); m != nil {
			step, _ = strconv.Atoi(m[1])
			require.Contains(t, steps, step, "%s: step-%d is not an audited step", where, step)
			require.False(t, seenSteps[step], "%s: step-%d has two sections", where, step)
			seenSteps[step] = true
			named[step], listed[step] = map[string]bool{}, map[string]bool{}
			continue
		}
		if step == 0 || !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") || strings.HasPrefix(line, "| contract line") {
			continue
		}
		cells := auditCells(line)
		require.Len(t, cells, 4, "%s: a row has 4 cells: contract line, tests, how, mutants", where)
		require.NotEmpty(t, cells[0], "%s: the contract line is empty", where)
		st := steps[step]
		var tests []string
		for _, m := range auditIDRE.FindAllStringSubmatch(cells[1], -1) {
			id := m[1]
			assert.Contains(t, st.tests, id, "%s: step-%d's suite has no test %q", where, step, id)
			tests = append(tests, id)
			named[step][id] = true
		}
		if len(tests) == 0 {
			assert.Contains(t, cells[2], "not observable over HTTP", "%s: a row without tests must say the line is not observable over HTTP", where)
		}
		var want []string
		for _, id := range tests {
			want = append(want, st.mutants[id]...)
		}
		sort.Strings(want)
		want = slices.Compact(want)
		for _, id := range want {
			listed[step][id] = true
		}
		cell := ""
		if len(want) > 0 {
			cell = "`" + strings.Join(want, "`, `") + "`"
		}
		if golden.Updating() {
			lines[i] = "| " + strings.Join([]string{cells[0], cells[1], cells[2], cell}, " | ") + " |"
			continue
		}
		assert.Equal(t, cell, cells[3], "%s: the mutants column is stale: run go test ./exercises -run TestAuditTable -update", where)
	}
	for _, s := range auditSteps {
		if !assert.True(t, seenSteps[s], "%s has no section ## step-%d", auditFile, s) {
			continue
		}
		for _, id := range steps[s].tests {
			assert.True(t, named[s][id], "%s: step-%d's test %q is in no row", auditFile, s, id)
		}
		for _, id := range steps[s].all {
			assert.True(t, listed[s][id], "%s: step-%d's mutant %q is in no row (its caught_by test is not named)", auditFile, s, id)
		}
	}
	if golden.Updating() {
		require.NoError(t, os.WriteFile(auditFile, []byte(strings.Join(lines, "\n")), 0o644))
	}
}
