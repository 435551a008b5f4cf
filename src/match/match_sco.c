/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suricata EVE JSON and Zeek JSON lines read into SCOs: addresses,
 * network-traffic with its protocols and extensions, domain-name, url,
 * file and x509-certificate, with the values STIX 2.1 requires.
 */
#include <assert.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "match/match_int.h"

/*
 * Keys set here are static ASCII, and string values either come from
 * the line (which jansson has checked is UTF-8) or are made of such
 * text, so the UTF-8 checks of json_string and json_object_set are left
 * out.
 */
static enum fusion_err
set_new(json_t *obj, const char *key, json_t *value)
{
    if (!value)
        return FUSION_ERR_NOMEM;
    return json_object_set_new_nocheck(obj, key, value) ? FUSION_ERR_NOMEM
                                                        : FUSION_OK;
}

enum fusion_err
match_set_str(json_t *obj, const char *key, const char *value)
{
    return set_new(obj, key, json_string_nocheck(value));
}

/*
 * The local name of SCO number i of a reader's event: what its _ref and
 * _refs properties hold until the event is materialized and they become
 * ids. A name starts with '@', which no STIX id does.
 */
void
match_local_name(size_t i, char out[MATCH_LOCAL_NAME_MAX])
{
    size_t n = i >= 1000 ? 4 : i >= 100 ? 3 : i >= 10 ? 2 : 1;

    assert(i < MATCH_EVENT_MAX_SCOS);
    out[0] = '@';
    out[n + 1] = '\0';
    for (; n > 0; n--) {
        out[n] = (char)('0' + i % 10);
        i /= 10;
    }
}

static json_t *
local_ref(size_t i)
{
    char name[MATCH_LOCAL_NAME_MAX];

    match_local_name(i, name);
    return json_string_nocheck(name);
}

/*
 * The readers' SCOs whose id depends on their value alone (STIX 2.1
 * section 2.9 lists value as their only contributing property): two of
 * one type and value would get one id.
 */
static bool
is_value_type(const char *type)
{
    return strcmp(type, "ipv4-addr") == 0 || strcmp(type, "ipv6-addr") == 0 ||
           strcmp(type, "domain-name") == 0 || strcmp(type, "url") == 0;
}

/*
 * Adds an SCO made by a reader (taken) and returns its number, or -1 on
 * failure. Ids come later; an SCO that would get the id of one added
 * already (same type and value) is not added again, and the number of
 * the first is returned, as the ids would decide. Other SCOs come at
 * most once per event.
 */
static long
add_sco(struct match_builder *b, json_t *sco)
{
    const char *type = fusion_stix_str(sco, "type");
    const json_t *value = json_object_get(sco, "value");
    size_t n = json_array_size(b->scos);

    if (!sco)
        return -1;
    assert(type);
    if (json_is_string(value) && is_value_type(type)) {
        for (size_t i = 0; i < n; i++) {
            const json_t *have = json_array_get(b->scos, i);
            const json_t *hv = json_object_get(have, "value");

            if (json_is_string(hv) &&
                json_string_length(hv) == json_string_length(value) &&
                strcmp(json_string_value(hv), json_string_value(value)) == 0 &&
                strcmp(fusion_stix_str(have, "type"), type) == 0) {
                json_decref(sco);
                return (long)i;
            }
        }
    }
    if (n >= MATCH_EVENT_MAX_SCOS || json_array_append_new(b->scos, sco))
        return -1;
    return (long)n;
}

static json_t *
new_sco(const char *type)
{
    json_t *sco = json_object();

    if (sco && match_set_str(sco, "type", type)) {
        json_decref(sco);
        return NULL;
    }
    return sco;
}

/* An SCO with one string property, e.g. domain-name value. */
static long
add_value_sco(struct match_builder *b, const char *type, const char *value)
{
    json_t *sco = new_sco(type);

    if (sco && match_set_str(sco, "value", value)) {
        json_decref(sco);
        return -1;
    }
    return add_sco(b, sco);
}

static const char *
str_at(const json_t *obj, const char *key)
{
    const char *s = fusion_stix_str(obj, key);

    return s && *s ? s : NULL;
}

/*
 * The values the readers give SCOs take the forms STIX 2.1 (and the
 * validator ingest applies) require, so that every SCO made is stored:
 * text that does not fit makes no SCO.
 */

/* The longest address text read: IPv6 ending in an IPv4 address. */
#define IP_TEXT_MAX sizeof("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")

/* Writes v (up to 0xffff) as hex digits without leading zeros. */
static char *
put_hex_group(char *out, unsigned v)
{
    static const char digits[] = "0123456789abcdef";
    bool started = false;

    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 0xf;

        if (d || started || shift == 0) {
            *out++ = digits[d];
            started = true;
        }
    }
    return out;
}

/*
 * Rewrites the dotted quad ending IPv6 text, at tail and checked by
 * fusion_stix_ipv4_text, as two hex groups: "::ffff:192.0.2.1" becomes
 * "::ffff:c000:201". No group is longer than the two octets it
 * replaces, so the text only shrinks.
 */
static void
ipv4_tail_to_hex(char *tail)
{
    unsigned octet[4] = { 0 };
    int k = 0;

    for (const char *p = tail; *p; p++) {
        if (*p == '.')
            k++;
        else
            octet[k] = octet[k] * 10 + (unsigned)(*p - '0');
    }
    tail = put_hex_group(tail, octet[0] << 8 | octet[1]);
    *tail++ = ':';
    tail = put_hex_group(tail, octet[2] << 8 | octet[3]);
    *tail = '\0';
}

/*
 * The ipv4-addr or ipv6-addr value of address text a log gives, into
 * out; false when text is no address. The zone of an IPv6 address
 * ("fe80::1%eth0", RFC 4007 section 11) names an interface of the
 * sensor, not part of the address, and is dropped, so the value
 * matches the address as indicators give it. IPv6 ending in an IPv4
 * address ("::ffff:192.0.2.1", RFC 4291 section 2.2) is written with
 * hex groups instead: the same address, in the form the validator
 * takes (the STIX 2.1 schema's pattern, as published, takes no other).
 */
static bool
ip_value(const char *text, char out[IP_TEXT_MAX])
{
    size_t len = strcspn(text, "%");
    char *tail;

    if (len == 0 || len >= IP_TEXT_MAX ||
        (text[len] == '%' && text[len + 1] == '\0'))
        return false;
    memcpy(out, text, len);
    out[len] = '\0';
    tail = strrchr(out, ':');
    if (!tail)
        return text[len] == '\0' && fusion_stix_ipv4_text(out, false);
    tail++;
    if (strchr(tail, '.')) {
        if (!fusion_stix_ipv4_text(tail, false))
            return false;
        ipv4_tail_to_hex(tail);
    }
    return fusion_stix_ipv6_text(out, false);
}

/*
 * The address SCO of address text a log gives: *out is its number, or
 * -1 when text is no address.
 */
static enum fusion_err
add_ip(struct match_builder *b, const char *text, long *out)
{
    char value[IP_TEXT_MAX];

    *out = -1;
    if (!text || !ip_value(text, value))
        return FUSION_OK;
    *out =
        add_value_sco(b, strchr(value, ':') ? "ipv6-addr" : "ipv4-addr", value);
    return *out < 0 ? FUSION_ERR_NOMEM : FUSION_OK;
}

/*
 * A domain-name value: dot-separated labels of 1 to 63 bytes, 253 in
 * all, no label starting with '-' nor one before a dot ending with it,
 * and no space, control or URL delimiter.
 */
static bool
is_domain_text(const char *s)
{
    size_t len = strlen(s), label = 0;

    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if (ch <= 0x20 || ch == 0x7f || strchr("/\\@:?#[]%", ch)) {
            return false;
        } else if (++label > 63 || (label == 1 && ch == '-')) {
            return false;
        }
    }
    return true;
}

/*
 * A digest of want hex digits into out (want + 1 bytes), in lower case;
 * colons between its bytes, as Suricata writes fingerprints, are
 * dropped. False for anything else: a hash of the wrong length is not
 * one STIX takes.
 */
static bool
digest_hex(const char *text, size_t want, char *out)
{
    size_t n = 0;

    for (; *text; text++) {
        if (*text == ':')
            continue;
        if (n == want || !isxdigit((unsigned char)*text))
            return false;
        out[n++] = (char)tolower((unsigned char)*text);
    }
    out[n] = '\0';
    return n == want;
}

/* Network endpoints common to Suricata and Zeek. */
struct endpoints {
    const char *src_ip;
    const char *dst_ip;
    const json_t *src_port;
    const json_t *dst_port;
    const char *proto;     /* transport: Suricata proto, Zeek proto */
    const char *app_proto; /* Suricata app_proto, Zeek service (a list) */
    const char *kind;      /* Suricata event_type, Zeek log */
};

/* A port number of an event, or -1 when it gives none. */
static long
port_value(const json_t *port)
{
    json_int_t p;

    if (!json_is_integer(port))
        return -1;
    p = json_integer_value(port);
    return p >= 0 && p <= 65535 ? (long)p : -1;
}

static enum fusion_err
put_port(json_t *nt, const char *key, const json_t *port)
{
    long p = port_value(port);

    return p < 0 ? FUSION_OK : set_new(nt, key, json_integer(p));
}

/*
 * What the kind of an event says of its traffic when the event leaves
 * its protocols out (Zeek's http and ssl logs never name them): the
 * transport the application protocol runs over, DNS over UDP as it
 * mostly does, and the application protocol itself.
 */
static const struct kind_protocols {
    const char *kind;
    const char *transport;
    const char *app;
} kind_protocols[] = {
    { "dns", "udp", "dns" },
    { "http", "tcp", "http" },
    { "ssl", "tcp", "ssl" },
    { "tls", "tcp", "tls" },
};

/*
 * Adds the len bytes at name to the protocols list in lower case, once.
 * Suricata's "failed" and "unknown" and Zeek's '-'-prefixed services
 * (analyzers that gave up) name no protocol.
 */
static enum fusion_err
add_protocol(json_t *list, const char *name, size_t len)
{
    char lower[32];
    const json_t *have;
    size_t i;

    if (len == 0 || len >= sizeof(lower) || name[0] == '-')
        return FUSION_OK;
    for (i = 0; i < len; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    lower[len] = '\0';
    if (strcmp(lower, "failed") == 0 || strcmp(lower, "unknown") == 0)
        return FUSION_OK;
    json_array_foreach(list, i, have)
    {
        if (strcmp(json_string_value(have), lower) == 0)
            return FUSION_OK;
    }
    return json_array_append_new(list, json_string_nocheck(lower))
               ? FUSION_ERR_NOMEM
               : FUSION_OK;
}

/* Whether proto names ICMP, of IPv4 or IPv6, as Suricata or Zeek do. */
static bool
is_icmp(const char *proto)
{
    static const char *const names[] = { "icmp", "icmp6", "icmpv6",
                                         "ipv6-icmp" };

    for (size_t i = 0; proto && i < sizeof(names) / sizeof(*names); i++) {
        if (strcasecmp(proto, names[i]) == 0)
            return true;
    }
    return false;
}

/*
 * protocols, which a network-traffic must have (STIX 2.1 section 6.12),
 * lowest layer first: the transport and the application protocols the
 * event names, or else those its kind implies, or when nothing is known
 * the network layer of the addresses. ICMP goes by the keyword IANA's
 * protocol numbers registry gives it for the addresses' family ("icmp"
 * or "ipv6-icmp"): Zeek calls ICMPv6 "icmp" too.
 */
static enum fusion_err
put_protocols(json_t *nt, const struct endpoints *ep, bool is_v6)
{
    const char *transport = ep->proto, *app = ep->app_proto;
    const char *family = is_v6 ? "ipv6" : "ipv4";
    json_t *list = json_array();
    enum fusion_err rc = FUSION_OK;

    if (!list)
        return FUSION_ERR_NOMEM;
    if (is_icmp(transport))
        transport = is_v6 ? "ipv6-icmp" : "icmp";
    for (size_t i = 0;
         ep->kind && i < sizeof(kind_protocols) / sizeof(*kind_protocols);
         i++) {
        if (strcmp(ep->kind, kind_protocols[i].kind) != 0)
            continue;
        transport = transport ? transport : kind_protocols[i].transport;
        app = app ? app : kind_protocols[i].app;
    }
    if (transport)
        rc = add_protocol(list, transport, strlen(transport));
    for (const char *p = app; !rc && p && *p;) {
        size_t n = strcspn(p, ",");

        rc = add_protocol(list, p, n);
        p += p[n] ? n + 1 : n;
    }
    if (!rc && json_array_size(list) == 0)
        rc = add_protocol(list, family, strlen(family));
    if (rc) {
        json_decref(list);
        return rc;
    }
    return set_new(nt, "protocols", list);
}

/*
 * network-traffic with src_ref and dst_ref to the address SCOs; ext
 * (taken, may be NULL) becomes its extensions. Nothing is added for an
 * event without addresses. ICMP has no ports: the numbers Zeek gives
 * in their place are the message's type and code.
 */
static enum fusion_err
add_traffic(struct match_builder *b, const struct endpoints *ep, json_t *ext)
{
    long src = -1, dst = -1;
    json_t *nt;
    enum fusion_err rc;

    rc = add_ip(b, ep->src_ip, &src);
    if (!rc)
        rc = add_ip(b, ep->dst_ip, &dst);
    if (rc || (src < 0 && dst < 0)) {
        json_decref(ext);
        return rc;
    }
    nt = new_sco("network-traffic");
    if (!nt) {
        json_decref(ext);
        return FUSION_ERR_NOMEM;
    }
    rc = src >= 0 ? set_new(nt, "src_ref", local_ref((size_t)src)) : FUSION_OK;
    if (!rc && dst >= 0)
        rc = set_new(nt, "dst_ref", local_ref((size_t)dst));
    if (!rc && !is_icmp(ep->proto))
        rc = put_port(nt, "src_port", ep->src_port);
    if (!rc && !is_icmp(ep->proto))
        rc = put_port(nt, "dst_port", ep->dst_port);
    if (!rc)
        rc = put_protocols(nt, ep,
                           strchr(dst >= 0 ? ep->dst_ip : ep->src_ip, ':'));
    if (!rc && ext) {
        rc = set_new(nt, "extensions", ext);
        ext = NULL;
    }
    json_decref(ext);
    if (rc) {
        json_decref(nt);
        return rc;
    }
    return add_sco(b, nt) >= 0 ? FUSION_OK : FUSION_ERR_NOMEM;
}

/*
 * domain-name resolving to the addresses among answers (strings). The
 * addresses are added even when name is no domain name, which then
 * makes no SCO.
 */
static enum fusion_err
add_domain(struct match_builder *b, const char *name,
           const char *const *answers, size_t nanswers)
{
    bool is_name = is_domain_text(name);
    json_t *dn = new_sco("domain-name"), *refs = NULL;
    enum fusion_err rc;

    if (!dn)
        return FUSION_ERR_NOMEM;
    rc = match_set_str(dn, "value", name);
    for (size_t i = 0; !rc && i < nanswers; i++) {
        long ip;

        rc = add_ip(b, answers[i], &ip);
        if (rc || ip < 0 || !is_name)
            continue;
        if (!refs)
            refs = json_array();
        if (!refs || json_array_append_new(refs, local_ref((size_t)ip)))
            rc = FUSION_ERR_NOMEM;
    }
    if (!rc && refs) {
        rc = set_new(dn, "resolves_to_refs", refs);
        refs = NULL;
    }
    json_decref(refs);
    if (rc || !is_name) {
        json_decref(dn);
        return rc;
    }
    return add_sco(b, dn) >= 0 ? FUSION_OK : FUSION_ERR_NOMEM;
}

/*
 * An HTTP Host header, or a TLS server name, split: the name (an IPv6
 * literal without its brackets), whether it is an IPv6 literal, and
 * whether a port follows. Host headers bracket IPv6 literals
 * ("[2001:db8::1]:8080"); a bare one (several colons) has no port.
 */
struct host_parts {
    const char *name;
    size_t name_len;
    bool is_ipv6;
    bool has_port;
};

static void
split_host(const char *host, struct host_parts *out)
{
    const char *colon = strchr(host, ':');
    const char *end = host[0] == '[' ? strchr(host, ']') : NULL;

    out->name = host;
    out->name_len = strlen(host);
    out->is_ipv6 = false;
    out->has_port = false;
    if (end) {
        out->name = host + 1;
        out->name_len = (size_t)(end - host - 1);
        out->is_ipv6 = true;
        out->has_port = end[1] == ':';
    } else if (colon && strchr(colon + 1, ':')) {
        out->is_ipv6 = true;
    } else if (colon) {
        out->name_len = (size_t)(colon - host);
        out->has_port = true;
    }
}

/*
 * The SCO of a host an event names: an address for an IP literal, or
 * else a domain-name when it is one; nothing for other text.
 */
static enum fusion_err
add_host(struct match_builder *b, const char *host)
{
    struct host_parts hp;
    char name[256];
    long ip;
    enum fusion_err rc;

    split_host(host, &hp);
    if (hp.name_len == 0 || hp.name_len >= sizeof(name))
        return FUSION_OK;
    memcpy(name, hp.name, hp.name_len);
    name[hp.name_len] = '\0';
    rc = add_ip(b, name, &ip);
    if (rc || ip >= 0)
        return rc;
    if (!is_domain_text(name))
        return FUSION_OK;
    return add_value_sco(b, "domain-name", name) >= 0 ? FUSION_OK
                                                      : FUSION_ERR_NOMEM;
}

/* Whether path is an absolute URL: an RFC 3986 scheme, then "://". */
static bool
is_absolute_url(const char *path)
{
    size_t n = 1;

    if (!isalpha((unsigned char)path[0]))
        return false;
    while (isalnum((unsigned char)path[n]) ||
           (path[n] && strchr("+-.", path[n])))
        n++;
    return strncmp(path + n, "://", 3) == 0;
}

/*
 * Appends text to a URL, %-encoding the bytes a URL (RFC 3986) cannot
 * carry as they are: controls, space, non-ASCII, the delimiters it
 * excludes, and a '%' that does not start an escape.
 */
static enum fusion_err
put_url_text(struct fusion_buf *url, const char *text, size_t len)
{
    enum fusion_err rc = FUSION_OK;

    for (size_t i = 0; !rc && i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        bool keep = ch > 0x20 && ch < 0x7f && !strchr("\"<>\\^`{|}", ch);

        if (keep && ch == '%')
            keep = i + 2 < len && isxdigit((unsigned char)text[i + 1]) &&
                   isxdigit((unsigned char)text[i + 2]);
        if (keep)
            rc = fusion_buf_putc(url, (char)ch);
        else
            rc = fusion_buf_printf(url, "%%%02X", ch);
    }
    return rc;
}

/*
 * http:// and the authority of a request to host at port (-1: not
 * known): the port is added unless it is HTTP's own, 80, or host has
 * one already; an IPv6 literal goes in brackets.
 */
static enum fusion_err
put_authority(struct fusion_buf *url, const char *host, long port)
{
    struct host_parts hp;
    bool bracket;
    enum fusion_err rc;

    split_host(host, &hp);
    bracket = hp.is_ipv6 && host[0] != '[';
    rc = fusion_buf_puts(url, bracket ? "http://[" : "http://");
    if (!rc)
        rc = put_url_text(url, host, strlen(host));
    if (!rc && bracket)
        rc = fusion_buf_putc(url, ']');
    if (!rc && !hp.has_port && port >= 0 && port != 80)
        rc = fusion_buf_printf(url, ":%ld", port);
    return rc;
}

/*
 * url SCO of an HTTP request: the URL as sent when it is absolute, or
 * else made of the host, the server's port and the path (origin form,
 * starting with '/'; other request targets name no URL). The scheme is
 * http: a request an HTTP log shows went in clear.
 */
static enum fusion_err
add_url(struct match_builder *b, const char *host, const char *path, long port)
{
    bool absolute = path && is_absolute_url(path);
    struct fusion_buf url;
    enum fusion_err rc = FUSION_OK;

    if (!path || (!absolute && (!host || path[0] != '/')))
        return FUSION_OK;
    /* every byte may become three */
    fusion_buf_init(&url, 4u * FUSION_EVENT_MAX_LINE);
    if (!absolute)
        rc = put_authority(&url, host, port);
    if (!rc)
        rc = put_url_text(&url, path, strlen(path));
    if (!rc && add_value_sco(b, "url", url.data) < 0)
        rc = FUSION_ERR_NOMEM;
    fusion_buf_release(&url);
    return rc;
}

/* A request header, as the list of values STIX 2.1 gives each one. */
static enum fusion_err
put_header(json_t *headers, const char *name, const char *value)
{
    json_t *list;

    if (!value)
        return FUSION_OK;
    list = json_array();
    if (!list || json_array_append_new(list, json_string_nocheck(value))) {
        json_decref(list);
        return FUSION_ERR_NOMEM;
    }
    return set_new(headers, name, list);
}

/*
 * The http-request-ext of a network-traffic (STIX 2.1 section 6.12.2),
 * which needs the request's method and value (target): without them
 * *ext_out stays NULL. Host and User-Agent go in request_header.
 */
static enum fusion_err
http_ext(const char *method, const char *path, const char *host,
         const char *agent, json_t **ext_out)
{
    json_t *ext, *headers;
    char lower[32];
    size_t n = 0;
    enum fusion_err rc;

    if (!method || !path)
        return FUSION_OK;
    for (; method[n] && n + 1 < sizeof(lower); n++)
        lower[n] = (char)tolower((unsigned char)method[n]);
    lower[n] = '\0';
    ext = json_pack("{ss ss}", "request_method", lower, "request_value", path);
    headers = json_object();
    rc = ext && headers ? put_header(headers, "Host", host) : FUSION_ERR_NOMEM;
    if (!rc)
        rc = put_header(headers, "User-Agent", agent);
    if (!rc && json_object_size(headers) > 0) {
        rc = set_new(ext, "request_header", headers);
        headers = NULL;
    }
    json_decref(headers);
    if (!rc) {
        *ext_out = json_pack("{so}", "http-request-ext", ext);
        ext = NULL;
        rc = *ext_out ? FUSION_OK : FUSION_ERR_NOMEM;
    }
    json_decref(ext);
    return rc;
}

/* Puts hashes[alg] when text is a digest of digits hex digits. */
static enum fusion_err
put_hash(json_t *hashes, const char *alg, const char *text, size_t digits)
{
    char hex[129];

    assert(digits < sizeof(hex));
    if (!text || !digest_hex(text, digits, hex))
        return FUSION_OK;
    return match_set_str(hashes, alg, hex);
}

/*
 * hashes of sco when one of the digests is one: STIX takes no empty
 * hashes, nor one of the wrong length for its algorithm.
 */
static enum fusion_err
put_hashes(json_t *sco, const char *md5, const char *sha1, const char *sha256)
{
    json_t *hashes = json_object();
    enum fusion_err rc;

    if (!hashes)
        return FUSION_ERR_NOMEM;
    rc = put_hash(hashes, "MD5", md5, 32);
    if (!rc)
        rc = put_hash(hashes, "SHA-1", sha1, 40);
    if (!rc)
        rc = put_hash(hashes, "SHA-256", sha256, 64);
    if (!rc && json_object_size(hashes) > 0)
        return set_new(sco, "hashes", hashes);
    json_decref(hashes);
    return rc;
}

static unsigned
hex_value(char c)
{
    return isdigit((unsigned char)c)
               ? (unsigned)(c - '0')
               : (unsigned)(tolower((unsigned char)c) - 'a' + 10);
}

/*
 * Whether len bytes at s are UTF-8 (RFC 3629 section 4): no overlong
 * form, surrogate, or code point past U+10FFFF.
 */
static bool
is_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned cp = s[i], n;

        if (cp < 0x80) {
            i++;
            continue;
        }
        if (cp >= 0xc2 && cp <= 0xdf)
            n = 1;
        else if (cp >= 0xe0 && cp <= 0xef)
            n = 2;
        else if (cp >= 0xf0 && cp <= 0xf4)
            n = 3;
        else
            return false;
        if (len - i <= n)
            return false;
        cp &= 0x3fu >> n;
        for (unsigned k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += n + 1;
    }
    return true;
}

/*
 * The name of a file SCO from the one a log gives (may be NULL): *out
 * is the name, held by buf when made here, or NULL for none. file:name
 * is a name, not a path (STIX 2.1 section 6.7). A name holding a '/' is
 * a URI's path, as Suricata names a file of HTTP by its request's path:
 * its last segment before any query is the name, %-decoded when that
 * gives UTF-8 text without NUL or '/', else as it is.
 */
static enum fusion_err
file_name(const char *given, struct fusion_buf *buf, const char **out)
{
    const char *end, *seg;
    bool decoded_ok = true;
    enum fusion_err rc = FUSION_OK;

    *out = given;
    if (!given || !strchr(given, '/'))
        return FUSION_OK;
    *out = NULL;
    end = given + strcspn(given, "?");
    for (seg = end; seg > given && seg[-1] != '/'; seg--)
        ;
    if (seg == end)
        return FUSION_OK;
    for (const char *p = seg; !rc && p < end; p++) {
        char ch = *p;

        if (ch == '%' && end - p > 2 && isxdigit((unsigned char)p[1]) &&
            isxdigit((unsigned char)p[2])) {
            ch = (char)(hex_value(p[1]) << 4 | hex_value(p[2]));
            decoded_ok = decoded_ok && ch != '\0' && ch != '/';
            p += 2;
        }
        rc = fusion_buf_putc(buf, ch);
    }
    if (!rc &&
        (!decoded_ok || !is_utf8((const unsigned char *)buf->data, buf->len))) {
        fusion_buf_clear(buf);
        rc = fusion_buf_append(buf, seg, (size_t)(end - seg));
    }
    if (!rc)
        *out = buf->data;
    return rc;
}

/*
 * File with hashes from hex digests, in lower case as Suricata and Zeek
 * write them. STIX 2.1 wants a name or hashes: without either no file
 * is added.
 */
static enum fusion_err
add_file(struct match_builder *b, const char *name, const char *md5,
         const char *sha1, const char *sha256, const json_t *size,
         const char *mime)
{
    json_t *file = new_sco("file");
    struct fusion_buf buf;
    enum fusion_err rc;

    if (!file)
        return FUSION_ERR_NOMEM;
    fusion_buf_init(&buf, FUSION_EVENT_MAX_LINE);
    rc = put_hashes(file, md5, sha1, sha256);
    if (!rc)
        rc = file_name(name, &buf, &name);
    if (!rc && name)
        rc = match_set_str(file, "name", name);
    fusion_buf_release(&buf);
    if (!rc && mime)
        rc = match_set_str(file, "mime_type", mime);
    /* STIX integers lie within +-(2^53-1) */
    if (!rc && json_is_integer(size) && json_integer_value(size) >= 0 &&
        json_integer_value(size) < (json_int_t)1 << 53)
        rc = set_new(file, "size", json_integer(json_integer_value(size)));
    if (rc || (!name && !json_object_get(file, "hashes"))) {
        json_decref(file);
        return rc;
    }
    return add_sco(b, file) >= 0 ? FUSION_OK : FUSION_ERR_NOMEM;
}

/* What a TLS event tells of the server's certificate. */
struct cert_info {
    const char *sha1;   /* fingerprints: hex, bytes may be colon-separated */
    const char *sha256; /* of the DER certificate */
    const char *subject;
    const char *issuer;
    const char *serial;
};

/* x509-certificate with what ci holds; nothing when it holds nothing. */
static enum fusion_err
add_certificate(struct match_builder *b, const struct cert_info *ci)
{
    json_t *cert = new_sco("x509-certificate");
    enum fusion_err rc;

    if (!cert)
        return FUSION_ERR_NOMEM;
    rc = put_hashes(cert, NULL, ci->sha1, ci->sha256);
    if (!rc && ci->subject)
        rc = match_set_str(cert, "subject", ci->subject);
    if (!rc && ci->issuer)
        rc = match_set_str(cert, "issuer", ci->issuer);
    if (!rc && ci->serial)
        rc = match_set_str(cert, "serial_number", ci->serial);
    /* type alone: STIX 2.1 wants at least one property more */
    if (rc || json_object_size(cert) == 1) {
        json_decref(cert);
        return rc;
    }
    return add_sco(b, cert) >= 0 ? FUSION_OK : FUSION_ERR_NOMEM;
}

/*
 * Suricata EVE JSON.
 */

/* rdata of A and AAAA answers, from the v2 list or the grouped form. */
static size_t
suricata_answers(const json_t *dns, const char **out, size_t max)
{
    const json_t *list = json_object_get(dns, "answers"), *v;
    const json_t *grouped = json_object_get(dns, "grouped");
    const char *groups[2] = { "A", "AAAA" };
    size_t n = 0, i;

    json_array_foreach(list, i, v)
    {
        const char *rr = fusion_stix_str(v, "rrtype");
        const char *data = str_at(v, "rdata");

        if (n < max && data && rr &&
            (strcmp(rr, "A") == 0 || strcmp(rr, "AAAA") == 0))
            out[n++] = data;
    }
    for (size_t g = 0; g < 2; g++) {
        json_array_foreach(json_object_get(grouped, groups[g]), i, v)
        {
            if (n < max && json_is_string(v))
                out[n++] = json_string_value(v);
        }
    }
    return n;
}

static enum fusion_err
suricata_dns(struct match_builder *b, const json_t *dns)
{
    const char *answers[64];
    size_t nanswers = suricata_answers(dns, answers, 64), i;
    const char *name = str_at(dns, "rrname");
    enum fusion_err rc = FUSION_OK;
    const json_t *q;

    if (name)
        rc = add_domain(b, name, answers, nanswers);
    json_array_foreach(json_object_get(dns, "queries"), i, q)
    {
        const char *qname = str_at(q, "rrname");

        if (!rc && qname)
            rc = add_domain(b, qname, answers, nanswers);
    }
    return rc;
}

/* Ports HTTP servers mostly listen on. */
static bool
is_http_port(long port)
{
    return port == 80 || port == 443 || port == 8080;
}

/*
 * The server's port of a flow that may run either way, -1 when the
 * ports do not tell: the one that is HTTP's when the other is not, or
 * else the lower one when the higher is 1024 or more, as a client's
 * ephemeral port is.
 */
static long
server_port(long src, long dst)
{
    if (src < 0 || dst < 0)
        return -1;
    if (src == dst)
        return src;
    if (is_http_port(src) != is_http_port(dst))
        return is_http_port(src) ? src : dst;
    if ((src > dst ? src : dst) >= 1024)
        return src < dst ? src : dst;
    return -1;
}

/*
 * The port of the URL of a Suricata event's HTTP request (-1: not
 * known). Suricata's hostname comes without the port, which http_port
 * gives when the request named one; else the server's port is the
 * URL's. Only an http event's flow runs from client to server for
 * sure: a fileinfo event's runs the way its file went (from the server
 * for a download), an alert's the way of the packet that raised it,
 * which Suricata 7 gives as direction.
 */
static long
suricata_url_port(const json_t *root, const json_t *http,
                  const struct endpoints *ep)
{
    long port = port_value(json_object_get(http, "http_port"));
    long src = port_value(ep->src_port), dst = port_value(ep->dst_port);
    const char *dir = str_at(root, "direction");

    if (port >= 0)
        return port;
    if (strcmp(ep->kind, "http") == 0 || (dir && strcmp(dir, "to_server") == 0))
        return dst;
    if (dir && strcmp(dir, "to_client") == 0)
        return src;
    return server_port(src, dst);
}

static enum fusion_err
suricata_http(struct match_builder *b, const json_t *http, long port,
              json_t **ext_out)
{
    const char *host = str_at(http, "hostname");
    const char *path = str_at(http, "url");
    enum fusion_err rc = FUSION_OK;

    if (host)
        rc = add_host(b, host);
    if (!rc)
        rc = add_url(b, host, path, port);
    if (!rc)
        rc = http_ext(str_at(http, "http_method"), path, host,
                      str_at(http, "http_user_agent"), ext_out);
    return rc;
}

static enum fusion_err
suricata_tls(struct match_builder *b, const json_t *tls, json_t **ext_out)
{
    const struct cert_info ci = {
        .sha1 = str_at(tls, "fingerprint"),
        .subject = str_at(tls, "subject"),
        .issuer = str_at(tls, "issuerdn"),
        .serial = str_at(tls, "serial"),
    };
    const char *sni = str_at(tls, "sni");
    const char *ja3 = str_at(json_object_get(tls, "ja3"), "hash");
    const char *ja3s = str_at(json_object_get(tls, "ja3s"), "hash");
    enum fusion_err rc;

    rc = sni ? add_host(b, sni) : FUSION_OK;
    if (rc)
        return rc;
    /*
     * JA3 digests have no STIX property; they travel in a custom
     * extension of the network-traffic.
     */
    if (ja3 || ja3s) {
        *ext_out = json_pack("{s{s:s*, s:s*}}", "x-fusion-tls-ext", "ja3", ja3,
                             "ja3s", ja3s);
        if (!*ext_out)
            return FUSION_ERR_NOMEM;
    }
    return add_certificate(b, &ci);
}

/*
 * Suricata's magic is libmagic's description of the content ("PE32
 * executable ..."), not the media type file's mime_type holds.
 */
static enum fusion_err
suricata_fileinfo(struct match_builder *b, const json_t *fi)
{
    return add_file(b, str_at(fi, "filename"), str_at(fi, "md5"),
                    str_at(fi, "sha1"), str_at(fi, "sha256"),
                    json_object_get(fi, "size"), NULL);
}

enum fusion_err
match_read_suricata(const json_t *root, struct match_builder *b,
                    struct fusion_ts *when, const char **kind)
{
    struct endpoints ep = {
        .src_ip = str_at(root, "src_ip"),
        .dst_ip = str_at(root, "dest_ip"),
        .src_port = json_object_get(root, "src_port"),
        .dst_port = json_object_get(root, "dest_port"),
        .proto = str_at(root, "proto"),
        .app_proto = str_at(root, "app_proto"),
        .kind = str_at(root, "event_type"),
    };
    const json_t *sec;
    json_t *ext = NULL;
    enum fusion_err rc = FUSION_OK;

    *kind = ep.kind;
    if (!*kind)
        return match_event_invalid(b->err, 0,
                                   "Suricata event without event_type");
    if (match_parse_sensor_time(json_object_get(root, "timestamp"), when))
        return match_event_invalid(b->err, 0,
                                   "Suricata event without a valid timestamp");
    if ((sec = json_object_get(root, "dns")) && json_is_object(sec))
        rc = suricata_dns(b, sec);
    if (!rc && (sec = json_object_get(root, "http")) && json_is_object(sec))
        rc = suricata_http(b, sec, suricata_url_port(root, sec, &ep), &ext);
    if (!rc && !ext && (sec = json_object_get(root, "tls")) &&
        json_is_object(sec))
        rc = suricata_tls(b, sec, &ext);
    if (!rc && (sec = json_object_get(root, "fileinfo")) && json_is_object(sec))
        rc = suricata_fileinfo(b, sec);
    if (rc) {
        json_decref(ext);
        return rc;
    }
    return add_traffic(b, &ep, ext);
}

/*
 * Zeek JSON logs. The log a line comes from is its _path when Zeek
 * writes one, or else guessed from the fields only that log has.
 */
static const char *
zeek_kind(const json_t *root)
{
    const char *path = str_at(root, "_path");

    if (path)
        return path;
    if (json_object_get(root, "query"))
        return "dns";
    /* smtp has a subject too: that of the message */
    if (json_object_get(root, "server_name") ||
        json_object_get(root, "cipher") ||
        json_object_get(root, "cert_chain_fps"))
        return "ssl";
    if (json_object_get(root, "uri") || json_object_get(root, "user_agent"))
        return "http";
    if (json_object_get(root, "fuid"))
        return "files";
    return "conn";
}

static enum fusion_err
zeek_dns(struct match_builder *b, const json_t *root)
{
    const char *answers[64];
    const char *query = str_at(root, "query");
    size_t n = 0, i;
    const json_t *v;

    if (!query)
        return FUSION_OK;
    json_array_foreach(json_object_get(root, "answers"), i, v)
    {
        if (n < 64 && json_is_string(v))
            answers[n++] = json_string_value(v);
    }
    return add_domain(b, query, answers, n);
}

/* Zeek's host is the Host header as sent, with the port it may name. */
static enum fusion_err
zeek_http(struct match_builder *b, const json_t *root, json_t **ext_out)
{
    const char *host = str_at(root, "host");
    const char *uri = str_at(root, "uri");
    enum fusion_err rc = FUSION_OK;

    if (host)
        rc = add_host(b, host);
    if (!rc)
        rc = add_url(b, host, uri,
                     port_value(json_object_get(root, "id.resp_p")));
    if (!rc)
        rc = http_ext(str_at(root, "method"), uri, host,
                      str_at(root, "user_agent"), ext_out);
    return rc;
}

/*
 * The server's certificate of an ssl log: its subject and issuer, and
 * the first fingerprint of cert_chain_fps, a SHA-256 digest by Zeek's
 * default (one of another length is left out).
 */
static enum fusion_err
zeek_ssl(struct match_builder *b, const json_t *root)
{
    const json_t *fps = json_object_get(root, "cert_chain_fps");
    const struct cert_info ci = {
        .sha256 = json_string_value(json_array_get(fps, 0)),
        .subject = str_at(root, "subject"),
        .issuer = str_at(root, "issuer"),
    };

    return add_certificate(b, &ci);
}

enum fusion_err
match_read_zeek(const json_t *root, struct match_builder *b,
                struct fusion_ts *when, const char **kind)
{
    struct endpoints ep = {
        .src_ip = str_at(root, "id.orig_h"),
        .dst_ip = str_at(root, "id.resp_h"),
        .src_port = json_object_get(root, "id.orig_p"),
        .dst_port = json_object_get(root, "id.resp_p"),
        .proto = str_at(root, "proto"),
        .app_proto = str_at(root, "service"),
        .kind = zeek_kind(root),
    };
    const char *server;
    json_t *ext = NULL;
    enum fusion_err rc = FUSION_OK;

    *kind = ep.kind;
    if (match_parse_sensor_time(json_object_get(root, "ts"), when))
        return match_event_invalid(b->err, 0, "Zeek event without a valid ts");
    if (strcmp(*kind, "dns") == 0)
        rc = zeek_dns(b, root);
    else if (strcmp(*kind, "http") == 0)
        rc = zeek_http(b, root, &ext);
    else if (strcmp(*kind, "ssl") == 0)
        rc = zeek_ssl(b, root);
    else if (strcmp(*kind, "files") == 0)
        rc = add_file(b, str_at(root, "filename"), str_at(root, "md5"),
                      str_at(root, "sha1"), str_at(root, "sha256"),
                      json_object_get(root, "total_bytes"),
                      str_at(root, "mime_type"));
    server = str_at(root, "server_name");
    if (!rc && server)
        rc = add_host(b, server);
    if (rc) {
        json_decref(ext);
        return rc;
    }
    return add_traffic(b, &ep, ext);
}
