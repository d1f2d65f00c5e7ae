build/release/obj/cursor.o: src/cursor.c include/cs_cursor.h \
 include/cs_common.h
include/cs_cursor.h:
include/cs_common.h:
