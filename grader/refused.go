package grader

import (
	"context"
	"fmt"
	"net/http"
)

// refused sends o on a connection of its own and passes when no HTTP
// response comes back: the connection is refused, reset or closed, or
// nothing answers within the request's timeout. It checks "stops accepting
// new connections", so a kept-alive connection from before must not carry
// the request: the transport here keeps none.
func (x *testRun) refused(ctx context.Context, o *outgoing) error {
	tr := newTransport(x.target)
	tr.DisableKeepAlives = true
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: x.client.CheckRedirect}
	resp, err := send(ctx, client, o)
	x.record(o, resp, err)
	if err != nil {
		if _, ok := err.(*transportError); ok {
			return nil
		}
		return err // the test's own context, or a bad request
	}
	return failAt(o, resp, "new connection",
		fmt.Sprintf("no answer to %s %s on a new connection (it is refused, or closed unanswered)", o.method, pathOf(o.url)),
		fmt.Sprintf("the server accepted the new connection and answered %s", statusText(resp.status)))
}
