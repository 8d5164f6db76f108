package exercises

import "strings"

// PointersSection is the README section with a paragraph per language,
// each starting with the language's name in bold ("**Go** — ...").
const PointersSection = "## Pointers per language"

// LanguageNames are how READMEs name each of Languages.
var LanguageNames = map[string]string{"node": "Node.js", "go": "Go", "python": "Python"}

// READMEFor is the README as a learner in lang reads it: in the pointers
// section, the paragraphs of other languages (and the code blocks right
// after them) are left out and the heading names lang, so a Go learner is
// never told to edit server.js. Paragraphs that name no language stay. A
// lang that is not one of Languages (a Dockerfile workspace, or none
// known) gets the whole README.
func (e *Exercise) READMEFor(lang string) string {
	name, ok := LanguageNames[lang]
	if !ok {
		return e.README
	}
	var (
		out              []string
		in, skip, fence  bool
		paragraphLang    string // the language of the last paragraph of text
		previousWasBlank = true
	)
	for _, l := range strings.Split(e.README, "\n") {
		blank := strings.TrimSpace(l) == ""
		isFence := strings.HasPrefix(strings.TrimSpace(l), "```")
		switch {
		case fence:
			fence = !isFence
		case strings.TrimSpace(l) == PointersSection:
			in, skip, paragraphLang = true, false, ""
			out = append(out, "## Pointers for "+name)
			previousWasBlank = false
			continue
		case in && strings.HasPrefix(l, "#"):
			in, skip = false, false
		case in && previousWasBlank && !blank && isFence:
			// A code block belongs to the paragraph just before it.
			fence = true
		case in && previousWasBlank && !blank:
			paragraphLang = paragraphLanguage(l)
			skip = paragraphLang != "" && paragraphLang != lang
		case isFence:
			fence = true
		}
		previousWasBlank = blank && !fence
		if skip {
			continue
		}
		// A blank line after a skipped paragraph would double the gap.
		if in && blank && len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// paragraphLanguage is the language a pointers paragraph starts with, or "".
func paragraphLanguage(line string) string {
	for lang, name := range LanguageNames {
		if strings.HasPrefix(line, "**"+name+"**") {
			return lang
		}
	}
	return ""
}
