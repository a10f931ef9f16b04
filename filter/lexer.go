package filter

import (
	"fmt"
	"strings"
)

// SyntaxError reports a filter expression that cannot be parsed or compiled,
// with the byte offset of the offending token so a user can find it in a long
// command line.
type SyntaxError struct {
	Expr string // the whole expression
	Pos  int    // byte offset of the offending token in Expr
	Msg  string
}

func (e *SyntaxError) Error() string {
	near := ""
	if e.Pos < len(e.Expr) {
		rest := e.Expr[e.Pos:]
		if len(rest) > 20 {
			rest = rest[:20] + "..."
		}
		near = fmt.Sprintf(" near %q", rest)
	} else {
		near = " at end of expression"
	}
	return fmt.Sprintf("filter %q: column %d: %s%s", e.Expr, e.Pos+1, e.Msg, near)
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokLParen
	tokRParen
	tokNot   // "!" (the word "not" is a tokWord)
	tokAnd   // "&&"
	tokOr    // "||"
	tokSlash // "/"
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// isWordByte reports the bytes an identifier, number or address may contain:
// ':' for IPv6, '.' for IPv4, '-' for port ranges and names like ftp-data,
// '\' for escaped protocol names such as \tcp.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == ':' || c == '-' || c == '_' || c == '\\'
}

// maxExprLen bounds the input; no useful expression comes near it.
const maxExprLen = 1 << 20

func lex(expr string) ([]token, error) {
	if len(expr) > maxExprLen {
		return nil, &SyntaxError{Expr: expr[:64], Pos: 64, Msg: fmt.Sprintf("expression longer than %d bytes", maxExprLen)}
	}
	var toks []token
	i := 0
	for i < len(expr) {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == '/':
			toks = append(toks, token{tokSlash, "/", i})
			i++
		case c == '!':
			if i+1 < len(expr) && expr[i+1] == '=' {
				return nil, &SyntaxError{expr, i, "comparison expressions are not supported"}
			}
			toks = append(toks, token{tokNot, "!", i})
			i++
		case c == '&' && i+1 < len(expr) && expr[i+1] == '&':
			toks = append(toks, token{tokAnd, "&&", i})
			i += 2
		case c == '|' && i+1 < len(expr) && expr[i+1] == '|':
			toks = append(toks, token{tokOr, "||", i})
			i += 2
		case isWordByte(c):
			j := i
			for j < len(expr) && isWordByte(expr[j]) {
				j++
			}
			toks = append(toks, token{tokWord, expr[i:j], i})
			i = j
		case strings.IndexByte("[]<>=+*&|%^", c) >= 0:
			return nil, &SyntaxError{expr, i, "packet-data and arithmetic expressions are not supported"}
		default:
			return nil, &SyntaxError{expr, i, fmt.Sprintf("unexpected character %q", c)}
		}
	}
	toks = append(toks, token{tokEOF, "", len(expr)})
	return toks, nil
}
