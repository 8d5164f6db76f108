package grader

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ohler55/ojg/jp"
)

func readSetCookies(h http.Header) []*http.Cookie {
	return (&http.Response{Header: h}).Cookies()
}

// failAt builds a failure about resp with the request's curl line and
// the start of the body filled in.
func failAt(o *outgoing, resp *response, check, expected, actual string) *checkFailure {
	f := Failure{Check: check, Curl: o.curl(), Expected: expected, Actual: actual}
	if resp != nil {
		f.Excerpt = excerpt(resp.body)
	}
	return &checkFailure{f: f}
}

func fromMismatch(o *outgoing, resp *response, check string, m *mismatch) *checkFailure {
	cf := failAt(o, resp, check, m.expected, m.actual)
	cf.f.Diff = m.diff
	return cf
}

// check applies e to resp. Status comes first: a wrong status explains
// most other differences.
func (x *testRun) check(o *outgoing, resp *response, e *Expect) error {
	if len(e.Status) > 0 && !containsInt(e.Status, resp.status) {
		return failAt(o, resp, "status", statusList(e.Status).String(), statusText(resp.status))
	}
	if e.MaxDuration > 0 && resp.duration > e.MaxDuration {
		return failAt(o, resp, "duration", "an answer within "+e.MaxDuration.String(), resp.duration.Round(time.Millisecond).String())
	}
	if e.MinDuration > 0 && resp.duration < e.MinDuration {
		return failAt(o, resp, "duration", "an answer after at least "+e.MinDuration.String(), "an answer after "+resp.duration.Round(time.Millisecond).String())
	}
	for _, h := range e.Headers {
		vals := resp.header.Values(h.Name)
		s := subject{value: strings.Join(vals, ", "), present: len(vals) > 0, header: true}
		m, err := h.Match.match(x.r, x.data, s)
		if err != nil {
			return err
		}
		if m != nil {
			return fromMismatch(o, resp, "header "+h.Name, m)
		}
	}
	if e.Body != nil {
		m, err := e.Body.match(x.r, x.data, subject{value: string(resp.body), present: true})
		if err != nil {
			return err
		}
		if m != nil {
			m.actual = clip(m.actual, 300)
			return fromMismatch(o, resp, "body", m)
		}
	}
	if len(e.JSON) > 0 || e.Schema != nil {
		if err := x.checkJSON(o, resp, e); err != nil {
			return err
		}
	}
	return x.checkCookies(o, resp, e.Cookies)
}

func containsInt(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

func (l statusList) String() string {
	parts := make([]string, len(l))
	for i, c := range l {
		parts[i] = strconv.Itoa(c)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d (%s)", code, t)
	}
	return strconv.Itoa(code)
}

// parseBody decodes a JSON body, or says why it cannot be checked.
func parseBody(o *outgoing, resp *response) (any, error) {
	doc, err := decodeJSON(resp.body)
	if err != nil {
		actual := "an empty body"
		if len(resp.body) > 0 {
			actual = "a body that is not JSON (" + err.Error() + ")"
		}
		return nil, failAt(o, resp, "json", "a JSON body", actual)
	}
	return doc, nil
}

func (x *testRun) checkJSON(o *outgoing, resp *response, e *Expect) error {
	doc, err := parseBody(o, resp)
	if err != nil {
		return err
	}
	for _, c := range e.JSON {
		m, err := c.Match.match(x.r, x.data, c.eval(doc))
		if err != nil {
			return err
		}
		if m != nil {
			return fromMismatch(o, resp, "json "+c.Path, m)
		}
	}
	if e.Schema != nil {
		if err := e.Schema.schema.Validate(doc); err != nil {
			return failAt(o, resp, "schema", "a body valid against the JSON Schema", schemaError(err))
		}
	}
	return nil
}

// schemaError flattens the validator's tree of causes into one line.
func schemaError(err error) string {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "-"))
		if l == "" || strings.HasPrefix(l, "jsonschema validation failed") {
			continue
		}
		parts = append(parts, l)
	}
	if len(parts) == 0 {
		return err.Error()
	}
	return clip(strings.Join(parts, "; "), 500)
}

// eval selects c's values in doc. A singular path gives one value or
// nothing; any other path gives the array of what it matched.
func (c *JSONCheck) eval(doc any) subject {
	if !c.singular {
		got := c.expr.Get(doc)
		vals := make([]any, len(got))
		copy(vals, got)
		return subject{value: vals, present: len(vals) > 0}
	}
	cur := doc
	for _, f := range c.expr[1:] {
		switch f := f.(type) {
		case jp.Child:
			m, ok := cur.(map[string]any)
			if !ok {
				return subject{}
			}
			if cur, ok = m[string(f)]; !ok {
				return subject{}
			}
		case jp.Nth:
			a, ok := cur.([]any)
			i := int(f)
			if i < 0 {
				i += len(a)
			}
			if !ok || i < 0 || i >= len(a) {
				return subject{}
			}
			cur = a[i]
		}
	}
	return subject{value: cur, present: true}
}

func (x *testRun) checkCookies(o *outgoing, resp *response, checks []CookieCheck) error {
	if len(checks) == 0 {
		return nil
	}
	set := readSetCookies(resp.header)
	for _, c := range checks {
		var ck *http.Cookie
		for _, s := range set {
			if s.Name == c.Name {
				ck = s
			}
		}
		if err := x.checkCookie(o, resp, c, ck); err != nil {
			return err
		}
	}
	return nil
}

func (x *testRun) checkCookie(o *outgoing, resp *response, c CookieCheck, ck *http.Cookie) error {
	name := "cookie " + c.Name
	if ck == nil {
		if c.Exists != nil && !*c.Exists {
			return nil
		}
		return failAt(o, resp, name, "a Set-Cookie header for "+c.Name, "no Set-Cookie for "+c.Name+setCookieSummary(resp))
	}
	raw := setCookieLine(resp, c.Name)
	if c.Exists != nil && !*c.Exists {
		return failAt(o, resp, name, "no Set-Cookie for "+c.Name, raw)
	}
	flag := func(what string, want *bool, got bool) *checkFailure {
		if want == nil || *want == got {
			return nil
		}
		exp := what
		if !*want {
			exp = "no " + what
		}
		return failAt(o, resp, name, exp, raw)
	}
	if f := flag("HttpOnly", c.HTTPOnly, ck.HttpOnly); f != nil {
		return f
	}
	if f := flag("Secure", c.Secure, ck.Secure); f != nil {
		return f
	}
	expired := ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now()))
	if f := flag("an expired cookie (Max-Age=0 or Expires in the past)", c.Expired, expired); f != nil {
		return f
	}
	if c.Path != nil && ck.Path != *c.Path {
		return failAt(o, resp, name, "Path="+*c.Path, raw)
	}
	if len(c.SameSite) > 0 && !sameSiteIn(ck.SameSite, c.SameSite) {
		return failAt(o, resp, name, "SameSite="+strings.Join(c.SameSite, " or SameSite="), raw)
	}
	if c.Value != nil {
		m, err := c.Value.match(x.r, x.data, subject{value: ck.Value, present: true, header: true})
		if err != nil {
			return err
		}
		if m != nil {
			return fromMismatch(o, resp, name+" value", m)
		}
	}
	return nil
}

func sameSiteIn(got http.SameSite, want []string) bool {
	names := map[http.SameSite]string{http.SameSiteLaxMode: "lax", http.SameSiteStrictMode: "strict", http.SameSiteNoneMode: "none"}
	for _, w := range want {
		if names[got] == strings.ToLower(w) {
			return true
		}
	}
	return false
}

func setCookieLine(resp *response, name string) string {
	line := ""
	for _, l := range resp.header.Values("Set-Cookie") {
		if strings.HasPrefix(strings.TrimSpace(l), name+"=") {
			line = l
		}
	}
	return "Set-Cookie: " + line
}

func setCookieSummary(resp *response) string {
	vals := resp.header.Values("Set-Cookie")
	if len(vals) == 0 {
		return " (the response set no cookies)"
	}
	return " (it set: " + strings.Join(vals, " | ") + ")"
}

// capture takes every value of caps from resp; one that finds nothing
// fails the step, since later steps would only fail more obscurely.
func (x *testRun) capture(o *outgoing, resp *response, caps []Capture) (map[string]any, error) {
	out := map[string]any{}
	var doc any
	parsed := false
	for _, c := range caps {
		check := "capture " + c.Name
		switch {
		case c.JSON != "":
			if !parsed {
				d, err := parseBody(o, resp)
				if err != nil {
					err.(*checkFailure).f.Check = check
					return nil, err
				}
				doc, parsed = d, true
			}
			s := c.check.eval(doc)
			if !s.present {
				return nil, failAt(o, resp, check, "a value at "+c.JSON, "missing")
			}
			out[c.Name] = s.value
		case c.Header != "":
			vals := resp.header.Values(c.Header)
			if len(vals) == 0 {
				return nil, failAt(o, resp, check, "a "+c.Header+" header", "missing")
			}
			out[c.Name] = strings.Join(vals, ", ")
		case c.Cookie != "":
			v, ok := x.cookieValue(resp, c.Cookie)
			if !ok {
				return nil, failAt(o, resp, check, "a cookie named "+c.Cookie, "none"+setCookieSummary(resp))
			}
			out[c.Name] = v
		case c.Regex != nil:
			text, where := string(resp.body), "the body"
			if name, ok := strings.CutPrefix(c.From, "header:"); ok {
				text, where = strings.Join(resp.header.Values(name), ", "), "header "+name
			}
			m := c.Regex.FindStringSubmatch(text)
			if m == nil {
				return nil, failAt(o, resp, check, regexExpectation(where, c.Regex), show(clip(text, 200)))
			}
			out[c.Name] = m[1]
		}
	}
	return out, nil
}

func (x *testRun) cookieValue(resp *response, name string) (string, bool) {
	v, ok := "", false
	for _, ck := range readSetCookies(resp.header) {
		if ck.Name == name {
			v, ok = ck.Value, true
		}
	}
	return v, ok
}
