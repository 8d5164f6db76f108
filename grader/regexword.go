package grader

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

// A regular expression means little to a beginner: an expectation written
// as one also shows a value that matches it, e.g. /^(https?://[^/]+)?/todos/[^/?#]+$/
// becomes "... (for example /todos/abc)".

// regexExample is a short string re matches, or "" when none is found.
func regexExample(re *regexp.Regexp) string {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return ""
	}
	var b strings.Builder
	if !example(&b, parsed.Simplify()) {
		return ""
	}
	ex := b.String()
	if ex == "" || !re.MatchString(ex) {
		return ""
	}
	return ex
}

// example writes a shortest-ish match of re: optional parts are left out,
// repeated ones written once, and a character class becomes a readable
// character of it.
func example(b *strings.Builder, re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		lit := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 {
			lit = strings.ToLower(lit)
		}
		b.WriteString(lit)
	case syntax.OpCharClass:
		b.WriteString(classSample(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteString("x")
	case syntax.OpCapture:
		return example(b, re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !example(b, s) {
				return false
			}
		}
	case syntax.OpAlternate:
		return example(b, re.Sub[0])
	case syntax.OpQuest, syntax.OpStar:
	case syntax.OpPlus:
		if sub := re.Sub[0]; sub.Op == syntax.OpCharClass {
			b.WriteString(classWord(sub.Rune))
			return true
		}
		return example(b, re.Sub[0])
	case syntax.OpRepeat:
		for i := 0; i < max(re.Min, 1) && i < 8; i++ {
			if !example(b, re.Sub[0]) {
				return false
			}
		}
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpEmptyMatch:
	default:
		return false
	}
	return true
}

// classSample picks a character of a class (ranges as pairs), preferring
// what reads naturally: a letter, then a digit.
func classSample(ranges []rune) string {
	for _, c := range "a7x0-_" {
		if inClass(ranges, c) {
			return string(c)
		}
	}
	if len(ranges) > 0 {
		return string(ranges[0])
	}
	return ""
}

// classWord is up to three letters of a class in a row ("abc"), which
// reads more like a value than one letter; other classes give one character.
func classWord(ranges []rune) string {
	c := []rune(classSample(ranges))
	if len(c) != 1 || !unicode.IsLetter(c[0]) {
		return string(c)
	}
	for next := c[0] + 1; len(c) < 3 && inClass(ranges, next); next++ {
		c = append(c, next)
	}
	return string(c)
}

func inClass(ranges []rune, c rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if c >= ranges[i] && c <= ranges[i+1] {
			return true
		}
	}
	return false
}

// regexExpectation is "a string matching /re/", with an example.
func regexExpectation(what string, re *regexp.Regexp) string {
	s := what + " matching /" + re.String() + "/"
	if ex := regexExample(re); ex != "" {
		s += " (for example " + ex + ")"
	}
	return s
}
