package docker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/coachcli/coach/sandbox/workspace"
)

// ImageInfo describes the learner's own image. It is an alias of an
// unnamed struct type identical to grader.ImageInfo, so Instance
// satisfies grader.ImageInspector without this package importing the grader.
type ImageInfo = struct {
	User         string // the image's USER; "" means root
	ExposedPorts []int
	Healthcheck  bool
	SizeBytes    int64
	Language     string // node, go or python: the workspace behind the Dockerfile
}

// InspectImage reports what the containers step checks of an image built
// from the learner's Dockerfile.
func (in *Instance) InspectImage(ctx context.Context) (ImageInfo, error) {
	var info ImageInfo
	if in.workspace == nil || in.workspace.Runtime != workspace.Dockerfile {
		return info, errors.New("the image checks need a workspace built from its own Dockerfile")
	}
	ins, err := in.d.cli.ImageInspect(ctx, in.image)
	if err != nil {
		return info, fmt.Errorf("inspect image %s: %w", in.image, err)
	}
	info.SizeBytes = ins.Size
	if c := ins.Config; c != nil {
		info.User = c.User
		for p := range c.ExposedPorts {
			num, _, _ := strings.Cut(p, "/")
			if n, err := strconv.Atoi(num); err == nil {
				info.ExposedPorts = append(info.ExposedPorts, n)
			}
		}
		info.Healthcheck = c.Healthcheck != nil && len(c.Healthcheck.Test) > 0 && c.Healthcheck.Test[0] != "NONE"
	}
	info.Language = workspace.Language(in.workspace.Dir)
	return info, nil
}
