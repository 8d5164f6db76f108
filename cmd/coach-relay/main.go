// Command coach-relay is the sandbox relay on its own: a small static Linux
// program that coach embeds for each engine architecture (make relays) and
// runs in the pod's network-namespace container. See package relay.
package main

import "github.com/coachcli/coach/sandbox/relay"

func main() { relay.Main() }
