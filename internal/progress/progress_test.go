package progress

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordKeepsFirstPassAndOrder(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	st := &State{}
	st.Record(Step{ID: "todo-api", Number: 3, Status: "fail", Failure: FailureTest, CheckedAt: t0})
	st.Record(Step{ID: "hello-server", Number: 1, Status: "pass", CheckedAt: t0.Add(time.Minute)})
	st.Record(Step{ID: "todo-api", Number: 3, Status: "pass", Failure: FailureTest, CheckedAt: t0.Add(2 * time.Minute)})
	st.Record(Step{ID: "todo-api", Number: 3, Status: "fail", Failure: FailureBuild, CheckedAt: t0.Add(3 * time.Minute)})

	require.Len(t, st.Steps, 2)
	assert.Equal(t, "hello-server", st.Steps[0].ID, "steps are kept in roadmap order")
	s := st.Step("todo-api")
	assert.False(t, s.Passed())
	assert.True(t, s.EverPassed(), "a later failure does not take back the solution")
	assert.Equal(t, t0.Add(2*time.Minute), *s.PassedAt)
	assert.Equal(t, FailureBuild, s.Failure)
	assert.Equal(t, t0.Add(3*time.Minute), st.LastCheck())
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st, err := Load(dir)
	require.NoError(t, err, "no file is an empty state")
	assert.Empty(t, st.Steps)
	assert.False(t, Exists(dir))

	st.Language, st.Current = "go", "todo-api"
	st.Record(Step{ID: "hello-server", Number: 1, Status: "pass", Score: 10, MaxScore: 10, CheckedAt: time.Unix(0, 0).UTC()})
	require.NoError(t, Save(dir, st))
	got, err := Load(dir)
	require.NoError(t, err)
	assert.Equal(t, st, got)

	data, err := os.ReadFile(Path(dir))
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(data), "}\n"), "ends with a newline, as editors and git like")
	assert.Contains(t, string(data), "\n  \"current\": \"todo-api\"", "indented, so it diffs well")
	entries, err := os.ReadDir(filepath.Join(dir, Dir))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")
}

func TestBadFilesGiveClearErrors(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
	}{
		{"empty", "", []string{"progress.json: the file is empty", "delete it"}},
		{"truncated", "{\n  \"version\": 1,\n  \"current\": \"todo", []string{"progress.json", "not valid JSON", "delete it"}},
		{"syntax error with position", "{\n  \"version\": 1,\n  \"current\": todo\n}\n", []string{"progress.json:3:15: not valid JSON"}},
		{"wrong type", "{\"version\": 1, \"steps\": [{\"id\": \"x\", \"score\": \"ten\"}]}", []string{"progress.json:1:", "steps.score should be a float64, not a JSON string"}},
		{"newer coach", "{\"version\": 99}", []string{"newer coach", "update coach"}},
		{"step without id", "{\"version\": 1, \"steps\": [{\"step\": 1}]}", []string{`a step without an "id"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(dir, Dir), 0o755))
			require.NoError(t, os.WriteFile(Path(dir), []byte(tt.content), 0o644))
			_, err := Load(dir)
			require.Error(t, err)
			var bad *BadFileError
			assert.True(t, errors.As(err, &bad), "a BadFileError, so commands can explain it: %v", err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Error(t, Update(dir, func(*State) {}), "a bad file is never silently overwritten")
		})
	}
}

// TestSurvivesCrashMidWrite kills a process that saves the state in a tight
// loop at an arbitrary moment, several times: whatever the moment, the file
// on disk must be one complete state.
func TestSurvivesCrashMidWrite(t *testing.T) {
	if os.Getenv("COACH_PROGRESS_CRASH_DIR") != "" {
		crashHelper(os.Getenv("COACH_PROGRESS_CRASH_DIR"))
		return
	}
	dir := t.TempDir()
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSurvivesCrashMidWrite$")
		cmd.Env = append(os.Environ(), "COACH_PROGRESS_CRASH_DIR="+dir)
		require.NoError(t, cmd.Start())
		// Wait until it has saved at least once, then kill it mid-loop.
		require.Eventually(t, func() bool { return Exists(dir) }, 10*time.Second, 5*time.Millisecond)
		time.Sleep(time.Duration(round*7) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()

		st, err := Load(dir)
		require.NoError(t, err, "round %d: the file must be whole after a crash", round)
		require.NotEmpty(t, st.Steps)
		assert.Len(t, st.Steps, 13, "round %d", round)
	}
}

// crashHelper saves ever-changing states until it is killed.
func crashHelper(dir string) {
	for i := 0; ; i++ {
		st := &State{Language: "node", Current: fmt.Sprintf("step-%d", i)}
		for n := 1; n <= 13; n++ {
			st.Record(Step{ID: fmt.Sprintf("s%d", n), Number: n, Status: "fail", Failure: strings.Repeat("x", i%500),
				CheckedAt: time.Now()})
		}
		if err := Save(dir, st); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func TestWriteFileAtomicKeepsOldFileOnFailure(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.json")
	require.NoError(t, WriteFileAtomic(file, []byte("old")))
	// A folder where the temporary file would go cannot be written: the old
	// file must survive the failed write untouched.
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	if os.Getuid() == 0 {
		t.Skip("root ignores folder permissions")
	}
	assert.Error(t, WriteFileAtomic(file, []byte("new")))
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "old", string(data))
}
