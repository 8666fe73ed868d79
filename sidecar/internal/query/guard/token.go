// Package guard checks that a SQL text is one read-only statement over datasets before any engine sees it
// (docs/sql.md, docs/security.md). It tokenizes the text the way DuckDB and Trino do — strings, quoted identifiers, comments,
// dollar quoting — and refuses what it cannot be sure about: a text whose meaning could differ between the
// guard and an engine (nested block comments, escape-string prefixes) is rejected rather than guessed at.
package guard

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is a token's kind.
type Kind int

// Token kinds.
const (
	Word        Kind = iota + 1 // keyword or unquoted identifier
	QuotedIdent                 // "…" (with "" for a quote)
	String                      // '…' or $tag$…$tag$
	Number
	Param // $1, ?
	Punct // operators and punctuation, one token per symbol run
	Semicolon
)

// Token is one lexical token. Text is the identifier or string value (unquoted, escapes resolved) for
// QuotedIdent and String, the source text otherwise.
type Token struct {
	Kind Kind
	Text string
	Pos  int // byte offset of its first byte in the statement
	End  int // byte offset just after it
}

// Upper is a Word's text in upper case ("" for other kinds), for keyword comparisons.
func (t Token) Upper() string {
	if t.Kind != Word {
		return ""
	}
	return strings.ToUpper(t.Text)
}

// IsIdent reports whether the token names something: a Word or a QuotedIdent.
func (t Token) IsIdent() bool { return t.Kind == Word || t.Kind == QuotedIdent }

// Name is an identifier's name as engines match it: case-folded for both kinds (DuckDB matches quoted
// identifiers case-insensitively too, so a guard that did not fold them could be bypassed with "READ_CSV").
func (t Token) Name() string { return strings.ToLower(t.Text) }

// SyntaxError is a tokenizing or checking failure at a byte offset.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

func errAt(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Tokenize splits sql into tokens, dropping whitespace and comments.
func Tokenize(sql string) ([]Token, error) {
	if !utf8.ValidString(sql) {
		return nil, errAt(0, "the statement is not valid UTF-8")
	}
	var out []Token
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == 0:
			return nil, errAt(i, "the statement contains a NUL character")
		case strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				i = len(sql)
			} else {
				i += j + 1
			}
		case strings.HasPrefix(sql[i:], "/*"):
			end, err := blockComment(sql, i)
			if err != nil {
				return nil, err
			}
			i = end
		case c == '\'':
			s, end, err := quoted(sql, i, '\'')
			if err != nil {
				return nil, err
			}
			out = append(out, Token{Kind: String, Text: s, Pos: i, End: end})
			i = end
		case c == '"':
			s, end, err := quoted(sql, i, '"')
			if err != nil {
				return nil, err
			}
			if s == "" {
				return nil, errAt(i, "empty quoted identifier")
			}
			out = append(out, Token{Kind: QuotedIdent, Text: s, Pos: i, End: end})
			i = end
		case c == '`':
			return nil, errAt(i, "backquoted identifiers are not SQL; quote identifiers with double quotes")
		case c == '$':
			tok, end, err := dollar(sql, i)
			if err != nil {
				return nil, err
			}
			tok.End = end
			out = append(out, tok)
			i = end
		case c == '?':
			out = append(out, Token{Kind: Param, Text: "?", Pos: i, End: i + 1})
			i++
		case c == ';':
			out = append(out, Token{Kind: Semicolon, Text: ";", Pos: i, End: i + 1})
			i++
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			end := number(sql, i)
			out = append(out, Token{Kind: Number, Text: sql[i:end], Pos: i, End: end})
			i = end
		default:
			r, size := utf8.DecodeRuneInString(sql[i:])
			if isIdentStart(r) {
				end := i + size
				for end < len(sql) {
					r, n := utf8.DecodeRuneInString(sql[end:])
					if !isIdentPart(r) {
						break
					}
					end += n
				}
				word := sql[i:end]
				if end < len(sql) && (sql[end] == '\'' || sql[end] == '&') && isStringPrefix(word, sql[end:]) {
					return nil, errAt(i, "string prefixes (%s'…') are not supported; write a plain '…' string", word)
				}
				out = append(out, Token{Kind: Word, Text: word, Pos: i, End: end})
				i = end
				continue
			}
			if unicode.IsSpace(r) {
				i += size
				continue
			}
			if unicode.IsControl(r) {
				return nil, errAt(i, "the statement contains the control character %U", r)
			}
			end := i + size
			for end < len(sql) && isOperator(sql[end]) && isOperator(c) {
				if strings.HasPrefix(sql[end:], "--") || strings.HasPrefix(sql[end:], "/*") {
					break
				}
				end++
			}
			out = append(out, Token{Kind: Punct, Text: sql[i:end], Pos: i, End: end})
			i = end
		}
	}
	return out, nil
}

// blockComment returns the end of the comment opening at i. Engines disagree on nesting (DuckDB nests like
// PostgreSQL, Trino does not), so a "/*" inside a comment is refused: either reading could hide code.
func blockComment(sql string, i int) (int, error) {
	j := i + 2
	k := strings.Index(sql[j:], "*/")
	open := strings.Index(sql[j:], "/*")
	if k < 0 {
		return 0, errAt(i, "unterminated /* comment")
	}
	if open >= 0 && open < k {
		return 0, errAt(j+open, "nested /* comments are not allowed")
	}
	return j + k + 2, nil
}

// quoted reads a string or identifier quoted by q, where a doubled q stands for one.
func quoted(sql string, i int, q byte) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(sql); j++ {
		if sql[j] != q {
			b.WriteByte(sql[j])
			continue
		}
		if j+1 < len(sql) && sql[j+1] == q {
			b.WriteByte(q)
			j++
			continue
		}
		return b.String(), j + 1, nil
	}
	if q == '"' {
		return "", 0, errAt(i, "unterminated quoted identifier")
	}
	return "", 0, errAt(i, "unterminated string")
}

// dollar reads a parameter ($1) or a dollar-quoted string ($$…$$, $tag$…$tag$).
func dollar(sql string, i int) (Token, int, error) {
	j := i + 1
	if j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
		for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
			j++
		}
		return Token{Kind: Param, Text: sql[i:j], Pos: i}, j, nil
	}
	for j < len(sql) && (sql[j] == '_' || sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= 'A' && sql[j] <= 'Z' || j > i+1 && sql[j] >= '0' && sql[j] <= '9') {
		j++
	}
	if j >= len(sql) || sql[j] != '$' {
		return Token{}, 0, errAt(i, "unexpected '$'")
	}
	tag := sql[i : j+1]
	k := strings.Index(sql[j+1:], tag)
	if k < 0 {
		return Token{}, 0, errAt(i, "unterminated %s-quoted string", tag)
	}
	return Token{Kind: String, Text: sql[j+1 : j+1+k], Pos: i}, j + 1 + k + len(tag), nil
}

func number(sql string, i int) int {
	j := i
	seenE := false
	for j < len(sql) {
		c := sql[j]
		switch {
		case c >= '0' && c <= '9' || c == '.' || c == '_':
		case (c == 'e' || c == 'E') && !seenE:
			seenE = true
			if j+1 < len(sql) && (sql[j+1] == '+' || sql[j+1] == '-') {
				j++
			}
		case c == 'x' || c == 'X' || c == 'b' || c == 'B' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			// hex and binary literals (0x1F, 0b101)
		default:
			return j
		}
		j++
	}
	return j
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentPart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isOperator(c byte) bool { return strings.IndexByte("+-*/<>=~!@#%^&|", c) >= 0 }

// isStringPrefix reports a prefix that changes how the following string is read: E'…' (backslash escapes),
// U&'…' (Unicode escapes), X'…'/B'…' are harmless but refused alike for one simple rule; N'…' too.
func isStringPrefix(word, rest string) bool {
	switch strings.ToUpper(word) {
	case "E", "U", "X", "B", "N", "R":
		return rest[0] == '\'' || strings.HasPrefix(rest, "&'")
	}
	return false
}
