build/obj/services/main.o: services/main.c
