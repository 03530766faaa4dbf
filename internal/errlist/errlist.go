// Package errlist turns joined errors back into a list, so that every problem of a validation gets
// its own key prefix and line.
package errlist

// Flatten flattens an errors.Join tree (any error with Unwrap() []error) into its leaves, in order;
// nil gives nil.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}
