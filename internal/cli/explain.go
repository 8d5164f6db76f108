package cli

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"

	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/workspace"
)

// explanation is a first-hour problem said the way a learner can act on:
// a headline, the details, and what to do.
type explanation struct {
	headline string
	body     string
	advice   []string
}

// startContext is what the CLI knows of a start that failed, beyond the
// error: the --url it reached, the server's language and sandbox.
type startContext struct {
	url     string            // --url, "" when coach started the server
	runtime workspace.Runtime // "" when not detected
	process bool              // --sandbox process: the server ran on this machine
}

// explainStart turns a build/start/sandbox failure into an explanation.
func explainStart(err error) explanation { return explainStartIn(err, startContext{}) }

// explainStartIn is explainStart with what the CLI knows of the start.
func explainStartIn(err error, sc startContext) explanation {
	var se *sandbox.StartError
	if errors.As(err, &se) && sc.url != "" {
		return explainURL(se, sc)
	}
	e := explainBasic(err, sc.runtime)
	if errors.As(err, &se) {
		if h := startHint(se, sc); h.headline != "" {
			e.headline, e.advice = h.headline, append(h.advice, e.advice...)
		}
		if m := otherPort.FindStringSubmatch(se.Reason); m != nil {
			e.advice = append(e.advice, "", "To check your server as it is, give it the port it listens on: coach check --port "+m[1])
		}
	}
	var be *workspace.BuildError
	if errors.As(err, &be) {
		if first := firstErrorLine(be.Output); first != "" {
			e.headline += ": " + first
		}
	}
	return e
}

// otherPort finds the one port a server listens on instead of its $PORT.
var otherPort = regexp.MustCompile(`listening on port (\d+) instead`)

// explainURL: nothing answered at --url, which coach cannot start itself.
func explainURL(se *sandbox.StartError, sc startContext) explanation {
	host := strings.TrimPrefix(sc.url, "http://")
	e := explanation{headline: "Nothing is listening on " + strings.TrimRight(host, "/"), body: se.Error()}
	e.advice = append(e.advice, "Start your server first, in another terminal, on that port:")
	for _, c := range runCommands(sc.runtime, se.Port) {
		e.advice = append(e.advice, "  "+c)
	}
	e.advice = append(e.advice, "or let coach build and start it: leave out --url")
	return e
}

// runCommands are how a learner starts their own server on port, for
// the runtime (all of them when it is not known).
func runCommands(rt workspace.Runtime, port int) []string {
	all := []struct {
		rt  workspace.Runtime
		cmd string
	}{
		{workspace.Node, "PORT=%d npm start"},
		{workspace.Go, "PORT=%d go run ."},
		{workspace.Python, "PORT=%d python3 main.py"},
	}
	var out []string
	for _, c := range all {
		if rt == "" || rt == c.rt {
			out = append(out, fmt.Sprintf(c.cmd, port))
		}
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("start it with PORT=%d", port))
	}
	return out
}

// startHints are what a start failure's output says, and what to do. The
// first whose pattern matches the output wins.
var startHints = []struct {
	re     *regexp.Regexp
	line   func(m []string, sc startContext, se *sandbox.StartError) (string, []string)
	reason string // matched against the reason instead of the output
}{
	{re: regexp.MustCompile(`Cannot find module '([^'./][^']*)'`), line: func(m []string, sc startContext, _ *sandbox.StartError) (string, []string) {
		pkg := m[1]
		advice := []string{fmt.Sprintf("Install it and add it to package.json's dependencies: npm install %s", pkg)}
		if !sc.process {
			advice = append(advice, "coach installs what package.json lists when it builds your server, so it must be there, not only in node_modules")
		}
		return fmt.Sprintf("Your server needs the package %s, which is not installed", pkg), advice
	}},
	{re: regexp.MustCompile(`Cannot find module '(\.{1,2}/[^']*)'`), line: func(m []string, _ startContext, _ *sandbox.StartError) (string, []string) {
		return fmt.Sprintf("Your server requires %s, which does not exist", m[1]),
			[]string{"check the file name and path in the require/import (they are case-sensitive in the sandbox)"}
	}},
	{re: regexp.MustCompile(`ModuleNotFoundError: No module named '([^']+)'`), line: func(m []string, sc startContext, _ *sandbox.StartError) (string, []string) {
		pkg := strings.SplitN(m[1], ".", 2)[0]
		if sc.process {
			return fmt.Sprintf("Your server needs the Python package %s, which is not installed", pkg),
				[]string{fmt.Sprintf("install it (pip install %s) and list it in requirements.txt", pkg)}
		}
		return fmt.Sprintf("Your server needs the Python package %s, which is not installed", pkg),
			[]string{fmt.Sprintf("list it in requirements.txt (a line %s), so coach installs it when it builds your server", pkg)}
	}},
	{re: regexp.MustCompile(`EADDRINUSE|[Aa]ddress already in use`), line: func(_ []string, sc startContext, se *sandbox.StartError) (string, []string) {
		if sc.process {
			return fmt.Sprintf("Port %d is already in use", se.Port),
				[]string{"another program on this machine has it, maybe your own server started earlier: stop it and check again"}
		}
		return fmt.Sprintf("Your server tried to listen on port %d twice", se.Port),
			[]string{"nothing else runs in the sandbox, so your own code opens the port twice: call listen once"}
	}},
	{re: regexp.MustCompile(`(?m)^\s*File "([^"]+)", line (\d+)(?:.*\n){1,4}?\s*(SyntaxError|IndentationError|TabError): (.*)$`), line: func(m []string, _ startContext, _ *sandbox.StartError) (string, []string) {
		return fmt.Sprintf("Your code has a syntax error at %s:%s: %s", baseName(m[1]), m[2], m[4]), nil
	}},
	{re: regexp.MustCompile(`(?m)^(\S+\.(?:js|mjs|cjs|ts)):(\d+)\n(?:.*\n){1,4}?(SyntaxError: .*)$`), line: func(m []string, _ startContext, _ *sandbox.StartError) (string, []string) {
		return fmt.Sprintf("Your code has a syntax error at %s:%s: %s", baseName(m[1]), m[2], strings.TrimPrefix(m[3], "SyntaxError: ")), nil
	}},
	{reason: "did not accept connections on port", line: func(_ []string, _ startContext, se *sandbox.StartError) (string, []string) {
		return fmt.Sprintf("Your server did not listen on port %d (its $PORT)", se.Port),
			[]string{"coach tells your server which port to use in the PORT environment variable: listen on that port, on all interfaces (0.0.0.0)"}
	}},
}

// startHint reads a start failure's output for a problem a learner meets
// in their first hour.
func startHint(se *sandbox.StartError, sc startContext) explanation {
	if strings.Contains(se.Reason, "instead: read the port from the PORT") || se.OOMKilled {
		return explanation{} // the wrong port and OOM have their own headline
	}
	for _, h := range startHints {
		var m []string
		switch {
		case h.re != nil:
			m = h.re.FindStringSubmatch(se.Output)
		case strings.Contains(se.Reason, h.reason):
			m = []string{se.Reason}
		}
		if m != nil {
			head, advice := h.line(m, sc, se)
			return explanation{headline: head, advice: advice}
		}
	}
	return explanation{}
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// errorLine is the first line of build output that reads as an error: a
// compiler's file:line, or a line saying error. The beginning of an error
// says what went wrong; its end is often only a stack.
var errorLine = regexp.MustCompile(`(?m)^.*(?:\.\w+:\d+(?::\d+)?: .*|\b(?:[Ee]rror|ERR!)\b.*)$`)

func firstErrorLine(out string) string {
	l := strings.TrimSpace(errorLine.FindString(out))
	if len(l) > 120 {
		l = l[:117] + "..."
	}
	return l
}

// readPort is how each language reads $PORT, for the wrong-port advice.
var readPort = []struct {
	rt   workspace.Runtime
	line string
}{
	{workspace.Node, "Node.js: const port = process.env.PORT || 8080"},
	{workspace.Go, "Go:      port := os.Getenv(\"PORT\") // \"8080\" when empty"},
	{workspace.Python, "Python:  port = int(os.environ.get(\"PORT\", \"8080\"))"},
}

// readPortAdvice is readPort for the learner's runtime, every language
// when it is not one of them (a Dockerfile, or not detected).
func readPortAdvice(rt workspace.Runtime) []string {
	var out []string
	for _, r := range readPort {
		if r.rt == rt {
			return []string{"  " + r.line}
		}
		out = append(out, "  "+r.line)
	}
	return out
}

// explainBasic sorts a failure by its kind; rt is the learner's runtime
// ("" when not known), so advice names their language only.
func explainBasic(err error, rt workspace.Runtime) explanation {
	var (
		be  *workspace.BuildError
		se  *sandbox.StartError
		eng *sandbox.EngineError
		we  *workspace.Error
	)
	switch {
	case errors.As(err, &be):
		return explanation{headline: "Your code did not build", body: err.Error(), advice: lines(be.Hint)}
	case errors.As(err, &se):
		e := explanation{headline: "Your server did not start", body: err.Error(), advice: lines(se.Hint)}
		switch {
		case strings.Contains(se.Reason, "instead: read the port from the PORT"):
			e.headline = fmt.Sprintf("Your server is listening on the wrong port: coach gave it PORT=%d", se.Port)
			e.advice = append(e.advice, "coach tells your server which port to use in the PORT environment variable; read it:")
			e.advice = append(e.advice, readPortAdvice(rt)...)
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
		case workspace.Missing:
			e.headline = "No workspace here"
		case workspace.NoStart:
			e.headline = "coach can't tell how to start your server"
		case workspace.Unsupported:
			e.headline = "coach can't install your dependencies"
		case workspace.TooLarge:
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
		be  *workspace.BuildError
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
