package grader

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"syscall"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// signalStep sends the server a signal (SIGTERM for a graceful shutdown).
type signalStep struct{ sig syscall.Signal }

var signalKind = kindDef{name: "signal", make: func() stepKind { return &signalStep{} }}

var signals = map[string]syscall.Signal{
	"SIGHUP":  syscall.Signal(1),
	"SIGINT":  syscall.Signal(2),
	"SIGQUIT": syscall.Signal(3),
	"SIGKILL": syscall.Signal(9),
	"SIGUSR1": syscall.Signal(10), // Linux numbering: servers run in Linux containers
	"SIGUSR2": syscall.Signal(12),
	"SIGTERM": syscall.Signal(15),
}

func (s *signalStep) decode(v, _ *yaml.Node) error {
	name := strings.ToUpper(v.Value)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig, ok := signals[name]
	if v.Kind != yaml.ScalarNode || !ok {
		return exercises.Errorf(v, "unknown signal %q (known: SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2)", v.Value)
	}
	s.sig = sig
	return nil
}

func (*signalStep) schema(*exercises.Reflector) schema { return signalSchema() }

// signalSchema accepts the signal names parseSignal does, in any case and
// with or without SIG.
func signalSchema() schema {
	names := make([]string, 0, len(signals))
	for name := range signals {
		names = append(names, caseless(strings.TrimPrefix(name, "SIG")))
	}
	sort.Strings(names)
	return exercises.Pattern("^(" + caseless("SIG") + ")?(" + strings.Join(names, "|") + ")$")
}

// caseless spells s as a case-insensitive regex: JSON Schema patterns have
// no (?i) flag.
func caseless(s string) string {
	var b strings.Builder
	for _, c := range s {
		lo, up := strings.ToLower(string(c)), strings.ToUpper(string(c))
		if lo == up {
			b.WriteString(lo)
			continue
		}
		b.WriteString("[" + up + lo + "]")
	}
	return b.String()
}

func (s *signalStep) run(ctx context.Context, x *testRun) error {
	sg, ok := x.target.(Signaler)
	if !ok {
		return notCheckable("signal")
	}
	if err := sg.Signal(ctx, s.sig); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, errors.ErrUnsupported) {
			// The backend cannot deliver this signal (Windows): not the learner's fault.
			return &skipError{msg: "not checkable here: " + err.Error()}
		}
		return &checkFailure{f: Failure{Check: "signal", Expected: "to deliver " + signalName(s) + " to the server", Actual: err.Error()}}
	}
	return nil
}

func signalName(s *signalStep) string {
	for name, sig := range signals {
		if sig == s.sig {
			return name
		}
	}
	return fmt.Sprintf("signal %d", int(s.sig))
}
