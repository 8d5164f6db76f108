package sandbox

// ServerState is what a backend knows of the server process. It is an
// alias of an unnamed struct type identical to grader.ServerState, so the
// instances satisfy grader.StateReporter without this package importing
// the grader.
type ServerState = struct {
	Running     bool
	ExitCode    int   // when not running; 128+N after signal N
	OOMKilled   bool  // killed by the kernel for exceeding its memory limit
	MemoryLimit int64 // bytes; 0 when there is none or it is unknown
}
