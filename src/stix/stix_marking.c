/* SPDX-License-Identifier: Apache-2.0 */
/* Traffic Light Protocol markings known by their fixed ids. */
#include "stix/stix.h"

#include <string.h>

struct tlp_marking {
    const char *id;
    enum fusion_tlp tlp;
};

/*
 * TLP 1.0 (STIX 2.1 section 7.2.1.4, notes 11.2) and TLP 2.0 (OASIS
 * common objects, notes 11.3). TLP 1.0 WHITE is TLP 2.0 CLEAR.
 */
static const struct tlp_marking tlp_markings[] = {
    { "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
      FUSION_TLP_CLEAR },
    { "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
      FUSION_TLP_GREEN },
    { "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
      FUSION_TLP_AMBER },
    { "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
      FUSION_TLP_RED },
    { "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
      FUSION_TLP_CLEAR },
    { "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
      FUSION_TLP_GREEN },
    { "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
      FUSION_TLP_AMBER },
    { "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
      FUSION_TLP_AMBER_STRICT },
    { "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
      FUSION_TLP_RED },
};

enum fusion_tlp
fusion_stix_tlp_of_marking(const char *marking_id)
{
    if (!marking_id)
        return FUSION_TLP_NONE;
    for (size_t i = 0; i < sizeof(tlp_markings) / sizeof(tlp_markings[0]);
         i++) {
        if (strcmp(marking_id, tlp_markings[i].id) == 0)
            return tlp_markings[i].tlp;
    }
    return FUSION_TLP_NONE;
}

/*
 * A TLP marking-definition: one of the fixed ids, or a TLP 1.0 style
 * definition (definition_type "tlp") under another id.
 */
static bool
is_tlp_definition(const json_t *obj)
{
    const char *def_type = fusion_stix_str(obj, "definition_type");

    if (fusion_stix_tlp_of_marking(fusion_stix_str(obj, "id")))
        return true;
    return def_type && strcmp(def_type, "tlp") == 0;
}

static enum fusion_tlp
tlp_max(enum fusion_tlp a, enum fusion_tlp b)
{
    return a > b ? a : b;
}

enum fusion_tlp
fusion_stix_tlp_of(const json_t *obj)
{
    enum fusion_tlp tlp = FUSION_TLP_NONE;
    const json_t *refs, *granular;
    const char *type;

    if (!json_is_object(obj))
        return FUSION_TLP_NONE;
    type = fusion_stix_str(obj, "type");
    if (type && strcmp(type, "marking-definition") == 0 &&
        is_tlp_definition(obj))
        return FUSION_TLP_CLEAR;

    refs = json_object_get(obj, "object_marking_refs");
    for (size_t i = 0; i < json_array_size(refs); i++) {
        const char *id = json_string_value(json_array_get(refs, i));

        tlp = tlp_max(tlp, fusion_stix_tlp_of_marking(id));
    }
    granular = json_object_get(obj, "granular_markings");
    for (size_t i = 0; i < json_array_size(granular); i++) {
        const json_t *gm = json_array_get(granular, i);

        tlp = tlp_max(tlp, fusion_stix_tlp_of_marking(
                               fusion_stix_str(gm, "marking_ref")));
    }
    return tlp;
}

const char *
fusion_tlp_name(enum fusion_tlp tlp)
{
    switch (tlp) {
    case FUSION_TLP_NONE:
        return "none";
    case FUSION_TLP_CLEAR:
        return "TLP:CLEAR";
    case FUSION_TLP_GREEN:
        return "TLP:GREEN";
    case FUSION_TLP_AMBER:
        return "TLP:AMBER";
    case FUSION_TLP_AMBER_STRICT:
        return "TLP:AMBER+STRICT";
    case FUSION_TLP_RED:
        return "TLP:RED";
    }
    return "none";
}
