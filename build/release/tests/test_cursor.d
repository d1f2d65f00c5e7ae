build/release/tests/test_cursor: tests/unit/test_cursor.c \
 include/cs_cursor.h include/cs_common.h
include/cs_cursor.h:
include/cs_common.h:
