//go:build amd64 || arm64

package pqvalue

// Fast says whether the in-place functions are in use: on this architecture they are, checked at
// start.
const Fast = true
