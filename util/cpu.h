/* A thread's word to its pool that it is about to wait, not compute: before a network round trip (a TSA, a
 * payment provider, an identity provider, a twin's acknowledgement). A pool that runs as many jobs as it has
 * processors (services/server.c) lets another job start on the processor meanwhile. A no-op on a thread no
 * pool has set a hook for. */
#ifndef UTIL_CPU_H
#define UTIL_CPU_H

void cpu_yield(void);

/* Sets the calling thread's hook for cpu_yield (NULL: none). */
void cpu_yield_hook(void (*fn)(void));

#endif
