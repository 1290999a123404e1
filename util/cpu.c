/* The per-thread hook of cpu_yield (util/cpu.h). */
#include "util/cpu.h"

#include <stddef.h>

static __thread void (*hook)(void);

void cpu_yield(void)
{
    if (hook)
        hook();
}

void cpu_yield_hook(void (*fn)(void))
{
    hook = fn;
}
