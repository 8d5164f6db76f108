package cli

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/coachcli/coach/sandbox"
)

// explanation is a first-hour problem said the way a learner can act on:
// a headline, the details, and what to do.
type explanation struct {
	headline string
	body     string
	advice   []string
}

// explainStart turns a build/start/sandbox failure into an explanation.
func explainStart(err error) explanation {
	var (
		be  *sandbox.BuildError
		se  *sandbox.StartError
		eng *sandbox.EngineError
		we  *sandbox.WorkspaceError
	)
	switch {
	case errors.As(err, &be):
		return explanation{headline: "Your code did not build", body: err.Error(), advice: lines(be.Hint)}
	case errors.As(err, &se):
		e := explanation{headline: "Your server did not start", body: err.Error(), advice: lines(se.Hint)}
		switch {
		case strings.Contains(se.Reason, "instead: read the port from the PORT"):
			e.headline = fmt.Sprintf("Your server is listening on the wrong port: coach gave it PORT=%d", se.Port)
			e.advice = append(e.advice, "coach tells your server which port to use in the PORT environment variable; read it:",
				"  Node.js: const port = process.env.PORT || 8080",
				"  Go:      port := os.Getenv(\"PORT\") // \"8080\" when empty",
				"  Python:  port = int(os.environ.get(\"PORT\", \"8080\"))")
		case se.OOMKilled:
			e.headline = "Your server ran out of memory"
		case se.ExitCode >= 0:
			e.headline = fmt.Sprintf("Your server exited (code %d) before it was ready", se.ExitCode)
		}
		return e
	case errors.As(err, &eng):
		e := explanation{headline: "coach could not use its sandbox", body: err.Error()}
		switch {
		case strings.HasPrefix(eng.Op, "connect to Docker"):
			e.headline = "Docker is not running, or not installed"
			e.advice = append(e.advice, dockerInstallAdvice(runtime.GOOS))
		case eng.Host != "":
			e.headline = "coach could not reach " + eng.Host + " (not your code)"
		}
		return e
	case errors.As(err, &we):
		e := explanation{headline: "coach can't use this workspace", body: we.Msg, advice: lines(we.Hint)}
		switch we.Kind {
		case sandbox.WorkspaceMissing:
			e.headline = "No workspace here"
		case sandbox.WorkspaceNoStart:
			e.headline = "coach can't tell how to start your server"
		case sandbox.WorkspaceUnsupported:
			e.headline = "coach can't install your dependencies"
		case sandbox.WorkspaceTooLarge:
			e.headline = "Your workspace is too large to send to the sandbox"
		}
		return e
	}
	return explanation{body: err.Error()}
}

// lines splits a hint into advice lines ("" is none).
func lines(hint string) []string {
	if hint == "" {
		return nil
	}
	return strings.Split(hint, "\n")
}

// failureLog is the workspace-relative log file a failure kept, "" for none.
func failureLog(err error) string {
	var (
		be  *sandbox.BuildError
		se  *sandbox.StartError
		eng *sandbox.EngineError
	)
	switch {
	case errors.As(err, &be):
		return be.Log
	case errors.As(err, &se):
		return se.Log
	case errors.As(err, &eng):
		return eng.Log
	}
	return ""
}

// dockerInstallAdvice says where to get Docker per OS; the sandbox's own
// advice already says how to start it and mentions --sandbox process.
func dockerInstallAdvice(goos string) string {
	switch goos {
	case "linux":
		return "not installed? Debian/Ubuntu: sudo apt-get install docker.io; others: https://docs.docker.com/engine/install/"
	case "darwin":
		return "not installed? Install Docker Desktop (https://docs.docker.com/desktop/setup/install/mac-install/) and open it: open -a Docker"
	case "windows":
		return "not installed? Install Docker Desktop (https://docs.docker.com/desktop/setup/install/windows-install/); " +
			"in WSL, enable Settings → Resources → WSL integration"
	}
	return "not installed? See https://docs.docker.com/get-docker/"
}

// render writes the explanation, the headline marked and coloured.
func (e explanation) render(sty learnerStyle) string {
	var b strings.Builder
	if e.headline != "" {
		fmt.Fprintf(&b, "%s %s\n\n", sty.red("✗"), sty.bold(e.headline))
	}
	b.WriteString(strings.TrimRight(e.body, "\n"))
	b.WriteString("\n")
	if len(e.advice) > 0 {
		b.WriteString("\n")
		for _, a := range e.advice {
			b.WriteString(a + "\n")
		}
	}
	return b.String()
}
