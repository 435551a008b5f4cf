/* SPDX-License-Identifier: Apache-2.0 */
/* STIX timestamps (RFC 3339, UTC, "Z") to and from nanoseconds. */
#include "util/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define NS_PER_SEC INT64_C(1000000000)

static bool
digits(const char *s, size_t n, int *out)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
    static const int days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static enum fusion_err
bad_ts(struct fusion_error *err, const char *s, size_t len, const char *why)
{
    return fusion_error_set(err, FUSION_ERR_INVALID,
                            "invalid timestamp '%.*s': %s",
                            (int)(len > 64 ? 64 : len), s, why);
}

enum fusion_err
fusion_ts_parse(const char *s, size_t len, struct fusion_ts *out,
                struct fusion_error *err)
{
    int y, mo, d, h, mi, se, nfrac = 0;
    int64_t frac = 0;
    size_t i;

    /* YYYY-MM-DDTHH:MM:SS is 19 bytes, then [.digits] and Z */
    if (len < 20 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return bad_ts(err, s, len, "expected YYYY-MM-DDTHH:MM:SS[.fff]Z");
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
        !digits(s + 17, 2, &se))
        return bad_ts(err, s, len, "expected digits");
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return bad_ts(err, s, len, "no such date");
    if (h > 23 || mi > 59 || se > 60)
        return bad_ts(err, s, len, "no such time of day");
    i = 19;
    if (s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nfrac++) {
            if (nfrac < 9)
                frac = frac * 10 + (s[i] - '0');
        }
        if (nfrac == 0)
            return bad_ts(err, s, len, "'.' without fractional digits");
    }
    if (i + 1 != len || (s[i] != 'Z' && s[i] != 'z'))
        return bad_ts(err, s, len, "must end in Z (UTC)");
    for (int k = nfrac; k < 9; k++)
        frac *= 10;
    fusion_ts_set(out,
                  days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se,
                  (int32_t)frac, nfrac);
    return FUSION_OK;
}

void
fusion_ts_set(struct fusion_ts *ts, int64_t sec, int32_t nsec, int frac_digits)
{
    ts->sec = sec;
    ts->nsec = nsec;
    ts->frac_digits = frac_digits;
    if (sec > INT64_MAX / NS_PER_SEC - 1)
        ts->ns = INT64_MAX;
    else if (sec < INT64_MIN / NS_PER_SEC + 1)
        ts->ns = INT64_MIN;
    else
        ts->ns = sec * NS_PER_SEC + nsec;
}

int
fusion_ts_compare(const struct fusion_ts *a, const struct fusion_ts *b)
{
    if (a->sec != b->sec)
        return a->sec < b->sec ? -1 : 1;
    if (a->nsec != b->nsec)
        return a->nsec < b->nsec ? -1 : 1;
    return 0;
}

/* Writes v as exactly width decimal digits (v >= 0 and fits). */
static char *
put_digits(char *p, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/*
 * Written by hand rather than with snprintf: listings format a timestamp
 * per item, and this is several times faster. An int64 of nanoseconds
 * spans the years 1677 to 2262, so the year always has four digits.
 */
void
fusion_ts_format(int64_t ns, int frac_digits, char *out)
{
    int64_t secs = ns / NS_PER_SEC, rem = ns % NS_PER_SEC, days, sod;
    int y, m, d;
    char *p = out;

    if (rem < 0) {
        rem += NS_PER_SEC;
        secs--;
    }
    days = secs / 86400;
    sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    if (frac_digits > 9)
        frac_digits = 9;
    if (frac_digits > 0) {
        int64_t v = rem;

        for (int k = frac_digits; k < 9; k++)
            v /= 10;
        *p++ = '.';
        p = put_digits(p, v, frac_digits);
    }
    *p++ = 'Z';
    *p = '\0';
}

int64_t
fusion_time_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}
