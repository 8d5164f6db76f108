package grader

import (
	"fmt"
	"net/url"
)

// record keeps an exchange for -v output.
func (x *testRun) record(o *outgoing, resp *response, err error) {
	if x.opts.Transcript {
		x.exchs = append(x.exchs, exchange(o, resp, err))
	}
}

// verify turns a transport error into a failure, then checks the
// response and takes the captures.
func (x *testRun) verify(o *outgoing, resp *response, err error, e *Expect, caps []Capture) error {
	if err != nil {
		return transportFailure(o, err)
	}
	if e != nil {
		if err := x.check(o, resp, e); err != nil {
			return err
		}
	}
	vals, err := x.capture(o, resp, caps)
	if err != nil {
		return err
	}
	for k, v := range vals {
		x.data[k] = v
	}
	return nil
}

func transportFailure(o *outgoing, err error) error {
	te, ok := err.(*transportError)
	if !ok {
		return err // context errors and suite errors
	}
	return &checkFailure{f: Failure{Check: "response", Curl: o.curl(), Expected: "an HTTP response to " + o.method + " " + pathOf(o.url), Actual: te.msg}}
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.RequestURI()
}

// exitText explains codes above 128, which mean "killed by a signal".
func exitText(code int) string {
	if code > 128 {
		for name, sig := range signals {
			if int(sig) == code-128 {
				return fmt.Sprintf("%d (killed by %s)", code, name)
			}
		}
	}
	return fmt.Sprint(code)
}
