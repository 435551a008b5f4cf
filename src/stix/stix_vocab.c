/* SPDX-License-Identifier: Apache-2.0 */
/* STIX 2.1 vocabularies and enumerations (section 10, Errata 01 values). */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix_validate_int.h"

struct vocab {
    const char *name;
    const char *const *values; /* sorted by strcmp, for bsearch */
    size_t count;
    bool closed;
};

static const char *const v_account_type[] = {
    "facebook", "ldap",    "nis",  "openid",         "radius",        "skype",
    "tacacs",   "twitter", "unix", "windows-domain", "windows-local",
};

static const char *const v_attack_motivation[] = {
    "accidental",    "coercion",
    "dominance",     "ideology",
    "notoriety",     "organizational-gain",
    "personal-gain", "personal-satisfaction",
    "revenge",       "unpredictable",
};

static const char *const v_attack_resource_level[] = {
    "club", "contest", "government", "individual", "organization", "team",
};

static const char *const v_encryption_algorithm[] = {
    "AES-256-GCM",
    "ChaCha20-Poly1305",
    "mime-type-indicated",
};

static const char *const v_extension_type[] = {
    "new-sco",
    "new-sdo",
    "new-sro",
    "property-extension",
    "toplevel-property-extension",
};

static const char *const v_grouping_context[] = {
    "malware-analysis",
    "suspicious-activity",
    "unspecified",
};

static const char *const v_hash_algorithm[] = {
    "MD5",      "SHA-1",    "SHA-256", "SHA-512",
    "SHA3-256", "SHA3-512", "SSDEEP",  "TLSH",
};

static const char *const v_identity_class[] = {
    "class", "group", "individual", "organization", "system", "unknown",
};

static const char *const v_implementation_language[] = {
    "applescript", "bash",         "c",      "c#",          "c++",   "go",
    "java",        "javascript",   "lua",    "objective-c", "perl",  "php",
    "powershell",  "python",       "ruby",   "rust",        "scala", "swift",
    "typescript",  "visual-basic", "x86-32", "x86-64",
};

static const char *const v_indicator_type[] = {
    "anomalous-activity", "anonymization",      "attribution", "benign",
    "compromised",        "malicious-activity", "unknown",
};

static const char *const v_industry_sector[] = {
    "aerospace",
    "agriculture",
    "automotive",
    "chemical",
    "commercial",
    "communications",
    "construction",
    "dams",
    "defense",
    "education",
    "emergency-services",
    "energy",
    "entertainment",
    "financial-services",
    "government",
    "government-local",
    "government-national",
    "government-public-services",
    "government-regional",
    "healthcare",
    "hospitality-leisure",
    "infrastructure",
    "insurance",
    "legal",
    "manufacturing",
    "mining",
    "non-profit",
    "nuclear",
    "pharmaceuticals",
    "retail",
    "technology",
    "telecommunications",
    "transportation",
    "utilities",
    "water",
};

static const char *const v_infrastructure_type[] = {
    "amplification",
    "anonymization",
    "botnet",
    "command-and-control",
    "control-system",
    "exfiltration",
    "firewall",
    "hosting-malware",
    "hosting-target-lists",
    "phishing",
    "reconnaissance",
    "routers-switches",
    "staging",
    "unknown",
    "workstation",
};

static const char *const v_malware_capabilities[] = {
    "accesses-remote-machines",
    "anti-debugging",
    "anti-disassembly",
    "anti-emulation",
    "anti-memory-forensics",
    "anti-sandbox",
    "anti-vm",
    "captures-input-peripherals",
    "captures-output-peripherals",
    "captures-system-state-data",
    "cleans-traces-of-infection",
    "commits-fraud",
    "communicates-with-c2",
    "compromises-data-availability",
    "compromises-data-integrity",
    "compromises-system-availability",
    "controls-local-machine",
    "degrades-security-software",
    "degrades-system-updates",
    "determines-c2-server",
    "emails-spam",
    "escalates-privileges",
    "evades-av",
    "exfiltrates-data",
    "fingerprints-host",
    "hides-artifacts",
    "hides-executing-code",
    "infects-files",
    "infects-remote-machines",
    "installs-other-components",
    "persists-after-system-reboot",
    "prevents-artifact-access",
    "prevents-artifact-deletion",
    "probes-network-environment",
    "self-modifies",
    "steals-authentication-credentials",
    "violates-system-operational-integrity",
};

static const char *const v_malware_result[] = {
    "benign",
    "malicious",
    "suspicious",
    "unknown",
};

static const char *const v_malware_type[] = {
    "adware",
    "backdoor",
    "bootkit",
    "bot",
    "ddos",
    "downloader",
    "dropper",
    "exploit-kit",
    "keylogger",
    "ransomware",
    "remote-access-trojan",
    "resource-exploitation",
    "rogue-security-software",
    "rootkit",
    "screen-capture",
    "spyware",
    "trojan",
    "unknown",
    "virus",
    "webshell",
    "wiper",
    "worm",
};

static const char *const v_socket_address_family[] = {
    "AF_APPLETALK", "AF_BTH",  "AF_INET",    "AF_INET6",
    "AF_IPX",       "AF_IRDA", "AF_NETBIOS", "AF_UNSPEC",
};

static const char *const v_socket_type[] = {
    "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET", "SOCK_STREAM",
};

static const char *const v_opinion[] = {
    "agree", "disagree", "neutral", "strongly-agree", "strongly-disagree",
};

static const char *const v_pattern_type[] = {
    "pcre", "sigma", "snort", "stix", "suricata", "yara",
};

static const char *const v_processor_architecture[] = {
    "alpha", "arm", "ia-64", "mips", "powerpc", "sparc", "x86", "x86-64",
};

static const char *const v_region[] = {
    "africa",
    "americas",
    "antarctica",
    "asia",
    "australia-new-zealand",
    "caribbean",
    "central-america",
    "central-asia",
    "eastern-africa",
    "eastern-asia",
    "eastern-europe",
    "europe",
    "latin-america-caribbean",
    "melanesia",
    "micronesia",
    "middle-africa",
    "northern-africa",
    "northern-america",
    "northern-europe",
    "oceania",
    "polynesia",
    "south-america",
    "south-eastern-asia",
    "southern-africa",
    "southern-asia",
    "southern-europe",
    "western-africa",
    "western-asia",
    "western-europe",
};

static const char *const v_report_type[] = {
    "attack-pattern", "campaign",      "identity", "incident",
    "indicator",      "intrusion-set", "malware",  "observed-data",
    "threat-actor",   "threat-report", "tool",     "vulnerability",
};

static const char *const v_threat_actor_type[] = {
    "activist",
    "competitor",
    "crime-syndicate",
    "criminal",
    "hacker",
    "insider-accidental",
    "insider-disgruntled",
    "nation-state",
    "private-sector",
    "sensationalist",
    "spy",
    "terrorist",
    "unknown",
};

static const char *const v_threat_actor_role[] = {
    "agent",
    "director",
    "independent",
    "infrastructure-architect",
    "infrastructure-operator",
    "malware-author",
    "sponsor",
};

static const char *const v_threat_actor_sophistication[] = {
    "advanced", "expert", "innovator", "intermediate",
    "minimal",  "none",   "strategic",
};

static const char *const v_tool_type[] = {
    "credential-exploitation",
    "denial-of-service",
    "exploitation",
    "information-gathering",
    "network-capture",
    "remote-access",
    "unknown",
    "vulnerability-scanning",
};

static const char *const v_windows_integrity_level[] = {
    "high",
    "low",
    "medium",
    "system",
};

static const char *const v_windows_pebinary_type[] = {
    "dll",
    "exe",
    "sys",
};

static const char *const v_windows_registry_datatype[] = {
    "REG_BINARY",
    "REG_DWORD",
    "REG_DWORD_BIG_ENDIAN",
    "REG_DWORD_LITTLE_ENDIAN",
    "REG_EXPAND_SZ",
    "REG_FULL_RESOURCE_DESCRIPTION",
    "REG_INVALID_TYPE",
    "REG_LINK",
    "REG_MULTI_SZ",
    "REG_NONE",
    "REG_QWORD",
    "REG_RESOURCE_LIST",
    "REG_RESOURCE_REQUIREMENTS_LIST",
    "REG_SZ",
};

static const char *const v_windows_service_start_type[] = {
    "SERVICE_AUTO_START", "SERVICE_BOOT_START",   "SERVICE_DEMAND_START",
    "SERVICE_DISABLED",   "SERVICE_SYSTEM_ALERT",
};

static const char *const v_windows_service_type[] = {
    "SERVICE_FILE_SYSTEM_DRIVER",
    "SERVICE_KERNEL_DRIVER",
    "SERVICE_WIN32_OWN_PROCESS",
    "SERVICE_WIN32_SHARE_PROCESS",
};

static const char *const v_windows_service_status[] = {
    "SERVICE_CONTINUE_PENDING", "SERVICE_PAUSED",
    "SERVICE_PAUSE_PENDING",    "SERVICE_RUNNING",
    "SERVICE_START_PENDING",    "SERVICE_STOPPED",
    "SERVICE_STOP_PENDING",
};

#define VOCAB(id, name, closed, v) \
    [id] = { name, v, sizeof(v) / sizeof(v[0]), closed }

static const struct vocab vocabs[STIX_VOCAB_COUNT] = {
    VOCAB(STIX_VOCAB_ACCOUNT_TYPE, "account-type-ov", false, v_account_type),
    VOCAB(STIX_VOCAB_ATTACK_MOTIVATION, "attack-motivation-ov", false,
          v_attack_motivation),
    VOCAB(STIX_VOCAB_ATTACK_RESOURCE_LEVEL, "attack-resource-level-ov", false,
          v_attack_resource_level),
    VOCAB(STIX_VOCAB_ENCRYPTION_ALGORITHM, "encryption-algorithm-enum", true,
          v_encryption_algorithm),
    VOCAB(STIX_VOCAB_EXTENSION_TYPE, "extension-type-enum", true,
          v_extension_type),
    VOCAB(STIX_VOCAB_GROUPING_CONTEXT, "grouping-context-ov", false,
          v_grouping_context),
    VOCAB(STIX_VOCAB_HASH_ALGORITHM, "hash-algorithm-ov", false,
          v_hash_algorithm),
    VOCAB(STIX_VOCAB_IDENTITY_CLASS, "identity-class-ov", false,
          v_identity_class),
    VOCAB(STIX_VOCAB_IMPLEMENTATION_LANGUAGE, "implementation-language-ov",
          false, v_implementation_language),
    VOCAB(STIX_VOCAB_INDICATOR_TYPE, "indicator-type-ov", false,
          v_indicator_type),
    VOCAB(STIX_VOCAB_INDUSTRY_SECTOR, "industry-sector-ov", false,
          v_industry_sector),
    VOCAB(STIX_VOCAB_INFRASTRUCTURE_TYPE, "infrastructure-type-ov", false,
          v_infrastructure_type),
    VOCAB(STIX_VOCAB_MALWARE_CAPABILITIES, "malware-capabilities-ov", false,
          v_malware_capabilities),
    VOCAB(STIX_VOCAB_MALWARE_RESULT, "malware-result-ov", false,
          v_malware_result),
    VOCAB(STIX_VOCAB_MALWARE_TYPE, "malware-type-ov", false, v_malware_type),
    VOCAB(STIX_VOCAB_SOCKET_ADDRESS_FAMILY,
          "network-socket-address-family-enum", true, v_socket_address_family),
    VOCAB(STIX_VOCAB_SOCKET_TYPE, "network-socket-type-enum", true,
          v_socket_type),
    VOCAB(STIX_VOCAB_OPINION, "opinion-enum", true, v_opinion),
    VOCAB(STIX_VOCAB_PATTERN_TYPE, "pattern-type-ov", false, v_pattern_type),
    VOCAB(STIX_VOCAB_PROCESSOR_ARCHITECTURE, "processor-architecture-ov", false,
          v_processor_architecture),
    VOCAB(STIX_VOCAB_REGION, "region-ov", false, v_region),
    VOCAB(STIX_VOCAB_REPORT_TYPE, "report-type-ov", false, v_report_type),
    VOCAB(STIX_VOCAB_THREAT_ACTOR_TYPE, "threat-actor-type-ov", false,
          v_threat_actor_type),
    VOCAB(STIX_VOCAB_THREAT_ACTOR_ROLE, "threat-actor-role-ov", false,
          v_threat_actor_role),
    VOCAB(STIX_VOCAB_THREAT_ACTOR_SOPHISTICATION,
          "threat-actor-sophistication-ov", false,
          v_threat_actor_sophistication),
    VOCAB(STIX_VOCAB_TOOL_TYPE, "tool-type-ov", false, v_tool_type),
    VOCAB(STIX_VOCAB_WINDOWS_INTEGRITY_LEVEL, "windows-integrity-level-enum",
          true, v_windows_integrity_level),
    VOCAB(STIX_VOCAB_WINDOWS_PEBINARY_TYPE, "windows-pebinary-type-ov", false,
          v_windows_pebinary_type),
    VOCAB(STIX_VOCAB_WINDOWS_REGISTRY_DATATYPE,
          "windows-registry-datatype-enum", true, v_windows_registry_datatype),
    VOCAB(STIX_VOCAB_WINDOWS_SERVICE_START_TYPE,
          "windows-service-start-type-enum", true,
          v_windows_service_start_type),
    VOCAB(STIX_VOCAB_WINDOWS_SERVICE_TYPE, "windows-service-type-enum", true,
          v_windows_service_type),
    VOCAB(STIX_VOCAB_WINDOWS_SERVICE_STATUS, "windows-service-status-enum",
          true, v_windows_service_status),
};

static int
compare_value(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

const char *
fusion_stix_vocab_name(enum stix_vocab vocab)
{
    assert(vocab < STIX_VOCAB_COUNT);
    return vocabs[vocab].name;
}

bool
fusion_stix_vocab_is_closed(enum stix_vocab vocab)
{
    assert(vocab < STIX_VOCAB_COUNT);
    return vocabs[vocab].closed;
}

bool
fusion_stix_vocab_has(enum stix_vocab vocab, const char *value)
{
    const struct vocab *v;

    assert(vocab < STIX_VOCAB_COUNT);
    v = &vocabs[vocab];
    return bsearch(value, v->values, v->count, sizeof(v->values[0]),
                   compare_value) != NULL;
}
