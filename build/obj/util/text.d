build/obj/util/text.o: util/text.c util/text.h
util/text.h:
