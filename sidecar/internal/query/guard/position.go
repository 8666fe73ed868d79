package guard

import (
	"errors"
	"fmt"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// LineCol converts a byte offset in sql to a 1-based line and column (in characters).
func LineCol(sql string, pos int) (line, col int) {
	pos = max(0, min(pos, len(sql)))
	line, col = 1, 1
	for _, r := range sql[:pos] {
		if r == '\n' {
			line, col = line+1, 1
			continue
		}
		col++
	}
	return line, col
}

// InvalidSQL reports a problem at a position of the statement as INVALID_ARGUMENT on the "sql" field, with the
// line and column in the field violation.
func InvalidSQL(sql string, pos int, msg string) error {
	line, col := LineCol(sql, pos)
	return apierr.InvalidArgument("sql", "line %d, column %d: %s", line, col, msg)
}

// AsAPIError turns a Check error into the API's error.
func AsAPIError(sql string, err error) error {
	var se *SyntaxError
	if errors.As(err, &se) {
		return InvalidSQL(sql, se.Pos, se.Msg)
	}
	return fmt.Errorf("checking the statement: %w", err)
}
