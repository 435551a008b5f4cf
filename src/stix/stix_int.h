/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the files of the stix module; not for other modules. */
#ifndef FUSION_STIX_INT_H
#define FUSION_STIX_INT_H

#include "stix/stix.h"

/* Appends s[0..len) as a canonical (RFC 8785) JSON string literal. */
FUSION_NODISCARD enum fusion_err
fusion_stix_jcs_string(struct fusion_buf *out, const char *s, size_t len);

/*
 * True when prop is one of the ID-contributing properties of the spec SCO
 * type (STIX 2.1 section 2.9).
 */
bool fusion_stix_sco_contributes(const char *type, const char *prop);

#endif
