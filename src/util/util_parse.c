/* SPDX-License-Identifier: Apache-2.0 */
/* Checked number parsing for untrusted text. */
#include "util/util.h"

enum fusion_err
fusion_parse_int64(const char *s, size_t len, int64_t *out)
{
    bool neg = false;
    uint64_t v = 0, limit;
    size_t i = 0;

    if (len == 0)
        return FUSION_ERR_INVALID;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return FUSION_ERR_INVALID;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9')
            return FUSION_ERR_INVALID;
        d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return FUSION_ERR_LIMIT;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return FUSION_OK;
}
