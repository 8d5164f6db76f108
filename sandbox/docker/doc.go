// Package docker is the default backend: the learner's server built into
// an image and run in a pod of containers with no network, on a Docker or
// Podman engine (local, in a VM, or remote). The grader reaches the server
// through the relay container's attach (sandbox/relay), over the engine's
// API only. It holds the engine endpoint, the build recipes and image
// reuse, the pod (relay, server, database services, warm pods), the
// containers' security settings (docker_containers.go, pinned by golden
// files), and coach clean / coach doctor.
//
// Its Instance satisfies grader.Target, Restarter, Signaler and
// ImageInspector.
package docker
