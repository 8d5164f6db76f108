package docker

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"
)

// TestRuntimeImagesMatchOfficial builds Dockerfiles that rely on what the
// official runtime images have (the stand-ins of scripts/build-images.sh
// must have it too): the node image's non-root "node" user, Node 22, Go 1.25.
// A RUN that finds something missing fails the build.
func TestRuntimeImagesMatchOfficial(t *testing.T) {
	cases := []struct{ name, dockerfile string }{
		{"node user and Node 22", `FROM node:22-bookworm-slim
RUN mkdir -p /data && chown node:node /data
USER node
RUN test "$(id -u):$(id -g)" = 1000:1000 && test "$HOME" = /home/node && test -w /home/node && test -w /data
RUN node -e "process.exit(process.versions.node.split('.')[0] === '22' ? 0 : 1)" && npm --version
`},
		{"Go 1.25", `FROM golang:1.25-bookworm
RUN go version | grep -q ' go1\.25\.' && test "$(go env GOPATH)" = /go
`},
		{"Python 3", `FROM python:3.13-slim-bookworm
RUN python3 -c "import sys; assert sys.version_info >= (3, 11)" && python -m pip --version
`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, cli := newTestDocker(t, nil)
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("# "+dir+"\n"+tc.dockerfile+"CMD [\"true\"]\n"), 0o644))
			ws, err := workspace.Detect(dir)
			require.NoError(t, err)
			tag, err := d.buildWorkspace(t.Context(), sandbox.Spec{Workspace: ws, BuildTimeout: 5 * time.Minute}, testWriter{t})
			require.NoError(t, err)
			_, err = cli.ImageRemove(t.Context(), tag, client.ImageRemoveOptions{Force: true})
			require.NoError(t, err)
		})
	}
}
