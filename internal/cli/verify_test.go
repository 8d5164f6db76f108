package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
)

// TestVerifyTasksStyles: verify builds its workspaces from the step's
// solutions, styles included, and --lang takes a language (its reference
// solution and its styles) or a style's name.
func TestVerifyTasksStyles(t *testing.T) {
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	var steps []*loadedStep
	for _, ex := range cat.Exercises {
		steps = append(steps, &loadedStep{ex: ex})
	}
	step9 := steps[8:9]
	require.Equal(t, "persistence", step9[0].ex.ID)
	never := func(*loadedStep) bool { return false }
	tests := []struct {
		langs     []string
		noMutants bool
		want      []string // solution or solution/mutant
	}{
		{langs: []string{"node-pg"}, want: []string{"node-pg", "node-pg/node-pg-todos-in-memory"}},
		{langs: []string{"go-pgx", "python"}, noMutants: true, want: []string{"python", "go-pgx"}},
		{langs: []string{"node"}, noMutants: true, want: []string{"node", "node-pg"}},
	}
	for _, tt := range tests {
		o := &verifyOptions{langs: tt.langs, noMut: tt.noMutants}
		var got []string
		for _, tk := range verifyTasks(o, steps, step9, never) {
			name := tk.sol.Name
			if tk.mutant != nil {
				name += "/" + tk.mutant.ID
				assert.Len(t, tk.suites, 1, name)
			} else {
				assert.Len(t, tk.suites, 9, "%s runs the suites of steps 1..9", name)
			}
			got = append(got, name)
		}
		assert.Equal(t, tt.want, got, "--lang %v", tt.langs)
	}

	// Without --lang every solution and mutant of the step is a task.
	all := verifyTasks(&verifyOptions{}, steps, step9, never)
	assert.Len(t, all, len(step9[0].ex.Solutions())+len(step9[0].ex.Mutants))
}
