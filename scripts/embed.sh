#!/bin/sh
# embed.sh NAME FILE - print C source defining `const uint8_t NAME[]` with
# FILE's bytes and `const size_t NAME_len`.  The Makefile compiles data
# files into chainsniff with it (data/root-timeline.json); od and sed are
# all it needs, so a build never depends on xxd or python.
set -eu
name=$1
file=$2
printf '/* Generated from %s by scripts/embed.sh: do not edit. */\n' "$file"
printf '#include <stddef.h>\n#include <stdint.h>\n\n'
printf 'extern const uint8_t %s[];\nextern const size_t %s_len;\n\n' "$name" "$name"
printf 'const uint8_t %s[] = {\n' "$name"
od -An -v -tx1 "$file" | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^/\t/'
printf '};\nconst size_t %s_len = sizeof(%s);\n' "$name" "$name"
