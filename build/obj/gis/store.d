build/obj/gis/store.o: gis/store.c gis/store.h util/err.h util/embed.h
gis/store.h:
util/err.h:
util/embed.h:
