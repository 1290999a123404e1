build/obj/util/config.o: util/config.c util/config.h util/err.h \
 util/embed.h util/text.h
util/config.h:
util/err.h:
util/embed.h:
util/text.h:
