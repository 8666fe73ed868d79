package trino

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestApplyEditsMapsPositionsBack(t *testing.T) {
	sql := "SELECT x\nFROM \"iris@v3\".iris AS t, ü JOIN \"iris\" ON bad"
	start := len("SELECT x\nFROM ")
	only := len("SELECT x\nFROM \"iris@v3\".iris AS t, ü JOIN ")
	r := applyEdits(sql, []edit{
		{only, only + len(`"iris"`), `kamld."iris_0123456789abcdef"."iris"`},
		{start, start + len(`"iris@v3"`), `kamld."iris_fedcba9876543210"`},
	})
	assert.Equal(t, "SELECT x\nFROM kamld.\"iris_fedcba9876543210\".iris AS t, ü JOIN kamld.\"iris_0123456789abcdef\".\"iris\" ON bad", r.sql)

	l, c := r.position(1, 8) // before any edit
	assert.Equal(t, [2]int{1, 8}, [2]int{l, c})
	l, c = r.position(2, 10) // inside the first replacement → its start
	assert.Equal(t, [2]int{2, 6}, [2]int{l, c})
	// "bad" at the end, after both replacements and a multi-byte character.
	wantLine, wantCol := lineCol(sql, len(sql)-3)
	gotLine, gotCol := lineCol(r.sql, len(r.sql)-3)
	l, c = r.position(gotLine, gotCol)
	assert.Equal(t, [2]int{wantLine, wantCol}, [2]int{l, c})
	assert.Equal(t, 2, wantLine)
}

func TestOffsetOfClampsPastTheEnd(t *testing.T) {
	assert.Equal(t, 3, offsetOf("abc", 1, 10))
	assert.Equal(t, 3, offsetOf("abc", 5, 1))
	l, c := lineCol("ab\ncd", 4)
	assert.Equal(t, [2]int{2, 2}, [2]int{l, c})
}
