package access

// VerdictsAsked is how many classes v has answered.
func VerdictsAsked(v *Verdicts) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.answers)
}
