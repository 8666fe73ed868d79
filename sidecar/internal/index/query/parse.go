package query

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of one query.
const (
	MaxLength = 1024 // characters
	MaxTerms  = 64   // words, phrases and field terms
	MaxDepth  = 8    // nested parentheses
)

// Error is a malformed query: what is wrong and where (Pos is the 1-based character position).
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg) }

func errAt(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Parse turns a query string into a tree. The empty query is And{} (every document). Errors are *Error.
//
// Grammar (terms separated by spaces are ANDed; OR binds tighter than the implicit AND):
//
//	query  = { clause }
//	clause = unary { "OR" unary }
//	unary  = ( "-" | "NOT " ) unary | "(" query ")" | "AND" | atom
//	atom   = word | '"' phrase '"' | field ":" value | field ':"' value '"'
func Parse(s string) (Node, error) {
	if !utf8.ValidString(s) {
		return nil, errAt(1, "the query is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxLength {
		return nil, errAt(MaxLength+1, "the query is %d characters long; at most %d are allowed", n, MaxLength)
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, end: utf8.RuneCountInString(s) + 1}
	n, err := p.query(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) { // only a stray ')' stops the top-level query early
		return nil, errAt(p.toks[p.i].pos, "unbalanced ')'")
	}
	return n, nil
}

type parser struct {
	toks  []token
	i     int
	terms int
	end   int // position just after the input
}

func (p *parser) peek() *token {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

func (p *parser) query(depth int) (Node, error) {
	var and And
	for t := p.peek(); t != nil && t.kind != tokRParen; t = p.peek() {
		if t.kind == tokWord && t.text == "AND" && !t.quoted {
			p.i++
			continue
		}
		n, err := p.clause(depth)
		if err != nil {
			return nil, err
		}
		and.Children = append(and.Children, n)
	}
	if len(and.Children) == 1 {
		return and.Children[0], nil
	}
	return and, nil
}

func (p *parser) clause(depth int) (Node, error) {
	first, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	or := Or{Children: []Node{first}}
	for t := p.peek(); t != nil && t.isKeyword("OR"); t = p.peek() {
		p.i++
		if next := p.peek(); next == nil || next.kind == tokRParen || next.isKeyword("OR") {
			return nil, errAt(t.pos, "OR needs a term on both sides")
		}
		n, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		or.Children = append(or.Children, n)
	}
	if len(or.Children) == 1 {
		return first, nil
	}
	return or, nil
}

func (p *parser) unary(depth int) (Node, error) {
	t := p.peek()
	switch {
	case t.kind == tokMinus || t.isKeyword("NOT"):
		p.i++
		next := p.peek()
		if next == nil || next.kind == tokRParen || next.isKeyword("OR") {
			return nil, errAt(t.pos, "nothing to negate after %q", t.text)
		}
		n, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		return Not{Child: n}, nil
	case t.kind == tokLParen:
		if depth >= MaxDepth {
			return nil, errAt(t.pos, "parentheses nest deeper than %d", MaxDepth)
		}
		p.i++
		n, err := p.query(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c == nil || c.kind != tokRParen {
			return nil, errAt(t.pos, "unbalanced '('")
		}
		p.i++
		if a, ok := n.(And); ok && len(a.Children) == 0 {
			return nil, errAt(t.pos, "empty parentheses")
		}
		return n, nil
	case t.isKeyword("OR"):
		return nil, errAt(t.pos, "OR needs a term on both sides")
	}
	p.i++
	p.terms++
	if p.terms > MaxTerms {
		return nil, errAt(t.pos, "more than %d terms", MaxTerms)
	}
	return atom(t)
}

func atom(t *token) (Node, error) {
	if t.field == "" {
		return Text{Value: t.text, Phrase: t.quoted}, nil
	}
	f, ok := fields[strings.ToLower(t.field)]
	if !ok {
		return nil, errAt(t.pos, "unknown field %q; known fields are %s", t.field, fieldList)
	}
	if t.value == "" {
		return nil, errAt(t.valuePos, "%s: needs a value", t.field)
	}
	return f(t.value, t.valuePos)
}

func (t *token) isKeyword(k string) bool {
	return t != nil && t.kind == tokWord && !t.quoted && t.field == "" && t.text == k
}

// ---- lexer -------------------------------------------------------------------------------------------------

type tokKind int

const (
	tokWord tokKind = iota
	tokMinus
	tokLParen
	tokRParen
)

type token struct {
	kind     tokKind
	pos      int    // 1-based position of the first character
	text     string // word or phrase text (unquoted)
	quoted   bool   // a "phrase" (or a field whose value was quoted)
	field    string // for field:value
	value    string
	valuePos int
}

type lexer struct {
	r   []rune
	i   int
	out []token
}

func lex(s string) ([]token, error) {
	l := &lexer{r: []rune(s)}
	for {
		for l.i < len(l.r) && unicode.IsSpace(l.r[l.i]) {
			l.i++
		}
		if l.i >= len(l.r) {
			return l.out, nil
		}
		if err := l.next(); err != nil {
			return nil, err
		}
	}
}

func (l *lexer) next() error {
	pos := l.i + 1
	switch c := l.r[l.i]; {
	case c == '(':
		l.i++
		l.out = append(l.out, token{kind: tokLParen, pos: pos, text: "("})
	case c == ')':
		l.i++
		l.out = append(l.out, token{kind: tokRParen, pos: pos, text: ")"})
	case c == '-' && l.i+1 < len(l.r) && !unicode.IsSpace(l.r[l.i+1]) && l.r[l.i+1] != ')':
		l.i++
		l.out = append(l.out, token{kind: tokMinus, pos: pos, text: "-"})
	case c == '"':
		text, err := l.quoted()
		if err != nil {
			return err
		}
		if strings.TrimSpace(text) == "" {
			return errAt(pos, "empty phrase")
		}
		l.out = append(l.out, token{kind: tokWord, pos: pos, text: text, quoted: true})
	default:
		return l.word(pos)
	}
	return nil
}

// quoted reads a "..." string starting at l.i; \" and \\ escape.
func (l *lexer) quoted() (string, error) {
	start := l.i + 1
	var b strings.Builder
	for l.i++; l.i < len(l.r); l.i++ {
		switch c := l.r[l.i]; c {
		case '\\':
			if l.i+1 < len(l.r) && (l.r[l.i+1] == '"' || l.r[l.i+1] == '\\') {
				l.i++
				b.WriteRune(l.r[l.i])
				continue
			}
			b.WriteRune(c)
		case '"':
			l.i++
			if l.i < len(l.r) && !endsWord(l.r[l.i]) {
				return "", errAt(l.i+1, "a closing quote must be followed by a space or ')'")
			}
			return b.String(), nil
		default:
			b.WriteRune(c)
		}
	}
	return "", errAt(start, "unbalanced quote: no closing '\"'")
}

func endsWord(c rune) bool { return unicode.IsSpace(c) || c == '(' || c == ')' }

func (l *lexer) word(pos int) error {
	start := l.i
	t := token{kind: tokWord, pos: pos}
	for ; l.i < len(l.r) && !endsWord(l.r[l.i]); l.i++ {
		switch l.r[l.i] {
		case ':':
			if t.field != "" || l.i == start {
				continue // a second ':' belongs to the value; a leading one is an error below
			}
			t.field = string(l.r[start:l.i])
			t.valuePos = l.i + 2
			if l.i+1 < len(l.r) && l.r[l.i+1] == '"' {
				l.i++
				v, err := l.quoted()
				if err != nil {
					return err
				}
				t.value, t.quoted = v, true
				l.out = append(l.out, t)
				return nil
			}
		case '"':
			return errAt(l.i+1, "unexpected quote inside a word; quote the whole phrase or field value")
		}
	}
	t.text = string(l.r[start:l.i])
	if t.text[0] == ':' {
		return errAt(pos, "a field name is missing before ':'")
	}
	if t.field != "" {
		t.value = string(l.r[start+len([]rune(t.field))+1 : l.i])
	}
	l.out = append(l.out, t)
	return nil
}
