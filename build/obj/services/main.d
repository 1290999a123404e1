build/obj/services/main.o: services/main.c gis/demo.h util/config.h \
 util/err.h gis/import.h gis/store.h services/module.h services/http.h \
 util/arena.h services/server.h util/log.h util/text.h
gis/demo.h:
util/config.h:
util/err.h:
gis/import.h:
gis/store.h:
services/module.h:
services/http.h:
util/arena.h:
services/server.h:
util/log.h:
util/text.h:
