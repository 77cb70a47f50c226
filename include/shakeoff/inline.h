/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by BPF and user space are inlined: BPF has no calls to spare in its hot paths. */
#ifndef SHAKEOFF_INLINE_H
#define SHAKEOFF_INLINE_H

#define SHAKEOFF_INLINE static inline __attribute__((always_inline))

#endif /* SHAKEOFF_INLINE_H */
