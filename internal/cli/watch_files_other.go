//go:build !linux

package cli

// pollReason says why dir must be polled, or "" when file events work.
// Elsewhere than Linux coach trusts the watcher, and --poll is the way out.
func pollReason(string) string { return "" }
