// Package exercises is the exercise and roadmap model: it loads a catalogue
// (roadmap.yaml and one folder per step) from any fs.FS, validates it with
// messages that name file:line:column, and embeds the backend roadmap that
// ships with coach.
//
// It depends only on the standard library and a YAML decoder, so the
// grader and the CLI can both build on it.
package exercises
