package grader

import "strings"

// maxDiffLines bounds the line diff; the LCS table is quadratic.
const maxDiffLines = 300

// jsonDiff is a line diff of the pretty-printed values, only for arrays
// and objects: for scalars expected/actual already say everything.
func jsonDiff(want, got any) string {
	if !isContainer(want) && !isContainer(got) {
		return ""
	}
	return lineDiff(prettyJSON(want), prettyJSON(got))
}

func isContainer(x any) bool {
	switch x.(type) {
	case []any, map[string]any:
		return true
	}
	return false
}

// lineDiff returns a compact unified-style diff: "- " lines are expected,
// "+ " lines actual, and unchanged lines are kept only next to a change.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x) > maxDiffLines || len(y) > maxDiffLines {
		x, y = x[:min(len(x), maxDiffLines)], y[:min(len(y), maxDiffLines)]
	}
	// lcs[i][j] is the length of the longest common subsequence of x[i:], y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var lines []line
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			lines = append(lines, line{' ', x[i]})
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, line{'-', x[i]})
			i++
		default:
			lines = append(lines, line{'+', y[j]})
			j++
		}
	}
	near := func(k int) bool {
		for d := -1; d <= 1; d++ {
			if k+d >= 0 && k+d < len(lines) && lines[k+d].op != ' ' {
				return true
			}
		}
		return false
	}
	var sb strings.Builder
	skipped := false
	for k, l := range lines {
		if l.op == ' ' && !near(k) {
			if !skipped {
				sb.WriteString("  ...\n")
				skipped = true
			}
			continue
		}
		skipped = false
		sb.WriteByte(l.op)
		sb.WriteByte(' ')
		sb.WriteString(l.text)
		sb.WriteByte('\n')
	}
	return strings.TrimSuffix(sb.String(), "\n")
}
