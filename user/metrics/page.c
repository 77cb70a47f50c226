// SPDX-License-Identifier: GPL-2.0
/* The live page, user/metrics/page.html as bytes (the Makefile makes metrics_page.h with xxd). */
#include "metrics/metrics.h"

const unsigned char metrics_page[] = {
#include "metrics_page.h"
};
const unsigned int metrics_page_len = sizeof(metrics_page);
