build/obj/util/arena.o: util/arena.c util/arena.h
util/arena.h:
