package trino

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOffsetOf(t *testing.T) {
	s := "SELECT ü,\n  nope"
	assert.Equal(t, 7, offsetOf(s, 1, 8))
	assert.Equal(t, len("SELECT ü,\n  "), offsetOf(s, 2, 3))
	assert.Equal(t, len("SELECT ü,"), offsetOf(s, 1, 99), "clamped at the line's end")
	assert.Equal(t, len(s), offsetOf(s, 5, 1))
}
