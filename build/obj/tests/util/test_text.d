build/obj/tests/util/test_text.o: tests/util/test_text.c util/text.h \
 tests/test.h
util/text.h:
tests/test.h:
