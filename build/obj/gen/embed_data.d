build/obj/gen/embed_data.o: build/gen/embed_data.c util/embed.h
util/embed.h:
