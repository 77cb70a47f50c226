/* SPDX-License-Identifier: GPL-2.0 */
/* shakeoff's version string: the Makefile sets it; a bare compile (clang-tidy) does not. */
#ifndef SHAKEOFF_CORE_VERSION_H
#define SHAKEOFF_CORE_VERSION_H

#ifndef SHAKEOFF_VERSION
#define SHAKEOFF_VERSION "unknown"
#endif

#endif /* SHAKEOFF_CORE_VERSION_H */
