/*
 * cs_escape.h - the one place where wire strings become output.
 *
 * Every string that came from the traffic (SNI, certificate names, ...)
 * reaches a report, a CSV file or the terminal through one of these.  Each
 * takes n bytes that may hold anything (NUL, invalid UTF-8, ESC, bidi
 * overrides) and writes a form that is valid UTF-8 and cannot change how
 * the surrounding output is parsed or displayed.  Valid UTF-8 means
 * shortest form, no surrogates, nothing above U+10FFFF; any other byte is
 * "invalid" and escaped on its own.  Write errors are left in ferror(f).
 */
#ifndef CS_ESCAPE_H
#define CS_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A quoted JSON string (RFC 8259).  Valid UTF-8 is copied except '"', '\',
 * controls (C0, DEL, C1) and the invisible or line-breaking characters
 * esc_term also escapes (U+2028/U+2029, bidi controls, ...), which become
 * \n, \t, ... or \uXXXX (a surrogate pair above U+FFFF): the same string
 * to a JSON reader, but inert when the file is printed.  An invalid byte
 * XX becomes \u00XX, i.e. it is read back as U+00XX. */
void esc_json(FILE *f, const char *s, size_t n);

/* For a terminal or a log line, unquoted, reversible.  Printable ASCII and
 * printable valid UTF-8 are copied; C0 controls, DEL and invalid bytes
 * become \xNN (lowercase hex), and a C1 control has each of its two bytes
 * written so; bidi controls and other invisible or line-breaking
 * characters that could spoof a line become \u{XXXX}.  A '\' is doubled
 * only before what would read as an escape (a '\', an 'x', a 'u' or an
 * escaped character), so a distinguished name's "\," shows as it is:
 * decode "\\" as '\', "\xNN" and "\u{X}" as escapes, any other '\' as
 * itself. */
void esc_term(FILE *f, const char *s, size_t n);

/* One RFC 4180 field, always quoted, '"' doubled, the rest as esc_term
 * (so no raw CR or LF).  Against spreadsheet formula injection, a field
 * starting with = + - @ TAB or CR gets a ' prefix inside the quotes; so
 * does one that already starts with ', which keeps the mapping reversible. */
void esc_csv(FILE *f, const char *s, size_t n);

/* HTML text, for element content or a quoted attribute value: the form
 * esc_term gives (controls, bidi and invalid bytes shown as \xNN and
 * \u{XXXX}, never obeyed), with & < > " ' written as &amp; &lt; &gt;
 * &quot; &#39;.  Nothing it writes can open or close a tag, an attribute
 * or a reference. */
void esc_html(FILE *f, const char *s, size_t n);

/* Whether the n bytes are valid UTF-8 (esc_json then keeps them exactly). */
bool esc_utf8_valid(const char *s, size_t n);

#endif
