package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// portServer passes step 1 only when it is given PORT=want (want 0: any
// port but 8080); otherwise it exits with code 7 before listening.
func portServer(want int) string {
	return `import http.server, os, sys
port = int(os.environ["PORT"])
if ` + strconv.Itoa(want) + ` != 0 and port != ` + strconv.Itoa(want) + ` or port == 8080 and ` + strconv.Itoa(want) + ` == 0:
    print("got PORT=%d" % port, flush=True)
    sys.exit(7)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            body, ctype, code = b"<h1>Hello Backend World!</h1>", "text/html", 200
        elif self.path == "/health":
            body, ctype, code = b'{"status":"ok"}', "application/json", 200
        else:
            body, ctype, code = b"not found", "text/plain", 404
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
`
}

// TestPortSettingReachesServer: the PORT given to the server follows
// --port > COACH_PORT > coach.yaml > the user file > 8080 (the setting was
// once bound and never read).
func TestPortSettingReachesServer(t *testing.T) {
	tests := []struct {
		name     string
		want     int
		args     []string
		env      map[string]string
		yaml     string
		userFile string
	}{
		{name: "default with --sandbox process: a free port", want: 0},
		{name: "flag", want: 9123, args: []string{"--port", "9123"}},
		{name: "COACH_PORT", want: 9124, env: map[string]string{"COACH_PORT": "9124"}},
		{name: "coach.yaml", want: 9125, yaml: "port: 9125\n"},
		{name: "user file", want: 9126, userFile: "port: 9126\n"},
		{name: "flag over env over file", want: 9127, args: []string{"--port", "9127"},
			env: map[string]string{"COACH_PORT": "9128"}, yaml: "port: 9129\n"},
		{name: "env over file", want: 9130, env: map[string]string{"COACH_PORT": "9130"}, yaml: "port: 9131\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.py"), []byte(portServer(tt.want)), 0o644))
			if tt.yaml != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "coach.yaml"), []byte(tt.yaml), 0o644))
			}
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.userFile != "" {
				f := filepath.Join(t.TempDir(), "config.yaml")
				require.NoError(t, os.WriteFile(f, []byte(tt.userFile), 0o644))
				env["COACH_CONFIG"] = f
			}
			args := append([]string{"check", "1", "--sandbox", "process"}, tt.args...)
			r := coachWith(t, dir, env, args...)
			assert.Equal(t, ExitOK, r.code, r.out+r.err)
		})
	}
}
