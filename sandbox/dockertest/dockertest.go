// Package dockertest is test support for code that needs a Docker engine:
// it skips tests when there is none, or fails them when the environment
// demands Docker (COACH_REQUIRE_DOCKER=1, as CI sets), so a broken engine
// in CI never passes as "skipped".
package dockertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// EnvRequire makes Require fail instead of skip.
const EnvRequire = "COACH_REQUIRE_DOCKER"

// Require returns a client for the engine, or skips (fails, when
// COACH_REQUIRE_DOCKER=1) the test when the engine is unreachable. With
// -short it always skips: short runs are the ones without an engine.
func Require(t testing.TB) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker engine (skipped with -short)")
	}
	cli, err := client.New(client.FromEnv)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		if err != nil {
			cli.Close()
		}
	}
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("Docker is required (%s=1) but unreachable: %v", EnvRequire, err)
		}
		t.Skipf("Docker unreachable (set %s=1 to fail instead): %v", EnvRequire, err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Leftovers lists containers, volumes and networks carrying label (a key or
// key=value), as "kind name" strings, for asserting that a run cleaned up.
func Leftovers(t testing.TB, cli *client.Client, label string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := client.Filters{}.Add("label", label)
	var out []string
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	for _, c := range cs.Items {
		out = append(out, "container "+c.ID[:12]+" "+string(c.State))
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		t.Fatalf("list volumes: %v", err)
	}
	for _, v := range vs.Items {
		out = append(out, "volume "+v.Name)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatalf("list networks: %v", err)
	}
	for _, n := range ns.Items {
		out = append(out, "network "+n.Name)
	}
	return out
}
