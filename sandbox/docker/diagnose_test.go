package docker

import (
	"strings"
	"testing"

	"github.com/coachcli/coach/sandbox"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox/workspace"
)

// TestClassifyBuild: both backends sort a failed build with the same
// classifier; what it advises depends on where the build ran.
func TestClassifyBuild(t *testing.T) {
	const refused = "npm error code ECONNREFUSED\n" +
		"npm error FetchError: request to http://127.0.0.1:9/left-pad failed, reason: connect ECONNREFUSED 127.0.0.1:9\n"
	const tls = "npm error request to https://registry.npmjs.org/zod failed, reason: self-signed certificate in certificate chain\n"
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NPM_CONFIG_REGISTRY", "npm_config_registry"} {
		t.Setenv(k, "") // HostNet reads this machine's settings
	}
	docker := (&Backend{opts: Options{BuildEnv: map[string]string{}}}).dockerNet
	tests := []struct {
		name   string
		net    func(*workspace.Workspace) sandbox.BuildNet
		npmrc  string
		out    string
		host   string   // "" for the learner's build error
		advice []string // lines the advice holds
		not    []string // and does not
	}{
		{"process, .npmrc registry on loopback", sandbox.HostNet, "registry=http://127.0.0.1:9/\n", refused, "127.0.0.1:9",
			[]string{"your .npmrc sets registry=http://127.0.0.1:9/: is that registry up and reachable from this machine?",
				"delete the registry= line from .npmrc"},
			[]string{"build container", "check your connection"}},
		{"docker, .npmrc registry on loopback", docker, "registry=http://127.0.0.1:9/\n", refused, "127.0.0.1:9",
			[]string{"reachable from Docker? (in the sandbox, 127.0.0.1 is the build container itself, not your machine)"}, nil},
		{"process, public registry refused", sandbox.HostNet, "", strings.ReplaceAll(refused, "127.0.0.1:9", "registry.npmjs.org"), "registry.npmjs.org",
			[]string{"check your connection", "the build runs with your environment"}, []string{".npmrc", "coach passes them"}},
		{"process, certificate", sandbox.HostNet, "", tls, "registry.npmjs.org",
			[]string{"make npm, pip and go trust its CA (NODE_EXTRA_CA_CERTS"}, []string{"sandbox.ca_file: /path"}},
		{"docker, certificate", docker, "", tls, "registry.npmjs.org", []string{"`sandbox.ca_file: /path/to/ca.pem` in coach.yaml"}, nil},
		{"process, the learner's error", sandbox.HostNet, "", "npm error 404 Not Found - GET https://registry.npmjs.org/expresss - Not found\n", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"package.json": `{"dependencies": {"left-pad": "1.3.0"}}`, "server.js": ""}
			if tt.npmrc != "" {
				files[".npmrc"] = tt.npmrc
			}
			ws, err := workspace.Detect(writeWorkspace(t, files))
			require.NoError(t, err)
			err = sandbox.ClassifyBuild(tt.net(ws), ws, "`npm install`", 1, tt.out, "")
			if tt.host == "" {
				var be *workspace.BuildError
				require.ErrorAs(t, err, &be)
				assert.Contains(t, be.Hint, "the package expresss does not exist")
				return
			}
			var e *sandbox.EngineError
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.host, e.Host)
			for _, a := range tt.advice {
				assert.Contains(t, e.Advice, a)
			}
			for _, a := range tt.not {
				assert.NotContains(t, e.Advice, a)
			}
		})
	}
}

// A base image that could not be pulled is named, with what to do.
func TestDockerfilePullFailureNamesTheImage(t *testing.T) {
	d := &Backend{}
	err := d.dockerfileFailure("", &buildFailure{
		msg:  `Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused`,
		full: "Step 1/2 : FROM node:22 AS deps\nStep 2/2 : FROM --platform=linux/amd64 127.0.0.1:1/missing:1\n",
	})
	var e *sandbox.EngineError
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "127.0.0.1:1", e.Host)
	assert.Contains(t, e.Op, "pull 127.0.0.1:1/missing:1, the base image in your Dockerfile's FROM line", "the last FROM begun failed")
	assert.Contains(t, e.Advice, "`docker pull 127.0.0.1:1/missing:1`")
	assert.Contains(t, e.Advice, "`docker load -i image.tar`")
}
