package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSearchCommand(t *testing.T) {
	conn := startServe(t)
	must(t, conn, "datasets", "create", "churn", "-d", "Customer churn of a telecom operator", "-t", "finance")
	must(t, conn, "datasets", "create", "photos", "-d", "Photographs of flowers", "-t", "images")
	out := must(t, conn, "search", "tag:finance")
	assert.Contains(t, out, "churn")
	assert.NotContains(t, out, "photos")
	out = must(t, conn, "search", "--order", "name desc", "-n", "1")
	assert.Contains(t, out, "photos")
	assert.Contains(t, out, "1 of 2 matches")
	out, err := kamld(t, conn, "search", `"unbalanced`)
	require.Error(t, err, out)
	assert.Contains(t, err.Error(), "position 1")
}
