build/obj/util/embed.o: util/embed.c util/embed.h
util/embed.h:
