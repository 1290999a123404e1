/* APP validation: code lists from data/codelists, value rules, the XSD requirements and the streaming
 * (SAX, libxml2) pre-pass over GML files. */
#include "gis/app_validate.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/embed.h"

#define APP_GML_NS   "http://www.opengis.net/gml/3.2"
#define APP_XLINK_NS "http://www.w3.org/1999/xlink"
#define APP_XSD_NS   "http://www.w3.org/2001/XMLSchema"

/* ---- embedded TSV code lists ---- */

#define APP_MAX_ROWS 64
#define APP_MAX_COLS 8

struct app_tsv {
    char *buf;                                   /* a copy of the file, cut into fields in place */
    const char *row[APP_MAX_ROWS][APP_MAX_COLS]; /* fields; missing ones are "" */
    int nrows;
};

static void app_tsv_load(struct app_tsv *t, const char *name)
{
    size_t len = 0;
    const char *src = embed_find(name, &len);
    if (!src || !(t->buf = malloc(len + 1)))
        return;
    memcpy(t->buf, src, len);
    t->buf[len] = 0;
    for (char *line = t->buf; line && *line && t->nrows < APP_MAX_ROWS;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (*line && *line != '#') {
            int c = 0;
            for (char *f = line; f && c < APP_MAX_COLS; c++) {
                char *tab = strchr(f, '\t');
                if (tab)
                    *tab = 0;
                t->row[t->nrows][c] = f;
                f = tab ? tab + 1 : NULL;
            }
            for (; c < APP_MAX_COLS; c++)
                t->row[t->nrows][c] = "";
            t->nrows++;
        }
        line = nl ? nl + 1 : NULL;
    }
}

static struct app_tsv app_zone_tsv, app_param_tsv, app_ns_tsv, app_woj_tsv, app_kpt_tsv, app_status_tsv;
static struct app_zone_type app_zone_list[APP_MAX_ROWS];
static int app_nzones;
static struct app_param app_param_list[APP_MAX_ROWS];
static int app_nparams;
static pthread_once_t app_lists_once = PTHREAD_ONCE_INIT;

static double app_num_or_nan(const char *s)
{
    if (!s || !*s || !strcmp(s, "-"))
        return NAN;
    return strtod(s, NULL);
}

static void app_lists(void);

static void app_lists_init(void)
{
    app_tsv_load(&app_zone_tsv, "data/codelists/pog_zone_types.tsv");
    for (int i = 0; i < app_zone_tsv.nrows; i++)
        app_zone_list[app_nzones++] =
            (struct app_zone_type){app_zone_tsv.row[i][0], app_zone_tsv.row[i][1], app_zone_tsv.row[i][2],
                                   app_zone_tsv.row[i][3], app_zone_tsv.row[i][4]};
    app_tsv_load(&app_param_tsv, "data/codelists/app_parameters.tsv");
    for (int i = 0; i < app_param_tsv.nrows; i++) {
        const char *const *r = app_param_tsv.row[i];
        app_param_list[app_nparams++] = (struct app_param){.element = r[0],
                                                           .rule = r[1],
                                                           .decimals = atoi(r[2]),
                                                           .min = app_num_or_nan(r[3]),
                                                           .min_exclusive = !strcmp(r[4], "yes"),
                                                           .max = app_num_or_nan(r[5]),
                                                           .uom = strcmp(r[6], "-") && *r[6] ? r[6] : NULL,
                                                           .name = r[7]};
    }
    app_tsv_load(&app_ns_tsv, "data/codelists/app_namespaces.tsv");
    app_tsv_load(&app_woj_tsv, "data/codelists/wojewodztwa.tsv");
    app_tsv_load(&app_kpt_tsv, "data/codelists/kpt.tsv");
    app_tsv_load(&app_status_tsv, "data/codelists/app_status.tsv");
}

/* The field `to` of the first row of t whose field `from` is key (NULL key or no such row: NULL). */
static const char *app_tsv_lookup(const struct app_tsv *t, int from, const char *key, int to)
{
    app_lists();
    for (int i = 0; key && i < t->nrows; i++)
        if (!strcmp(t->row[i][from], key))
            return t->row[i][to];
    return NULL;
}

/* Whether word is one of the space-separated words of list. */
static bool app_words_has(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        size_t l = strcspn(p, " ");
        if (l == n && !strncmp(p, word, n))
            return true;
        p += l;
        while (*p == ' ')
            p++;
    }
    return false;
}

const struct app_standard *app_standards(int *n)
{
    /* clang-format off */
    static const struct app_standard list[] = {
        {"odlegloscDoSzkolyPodstawowej", "school_m", "m", "odległość od granicy działki ewidencyjnej do budynku szkoły podstawowej", true},
        {"odlegloscDoObszarowZieleniPublicznej", "green_areas_m", "m", "odległość od granicy działki ewidencyjnej do obszarów zieleni publicznej", true},
        {"powierzchniaLacznaObszarowZieleniPublicznej", "green_areas_total_m2", "m2", "łączna powierzchnia tych obszarów zieleni publicznej", true},
        {"odlegloscDoObszaruZieleniPublicznej", "green_area_m", "m", "odległość od granicy działki ewidencyjnej do obszaru zieleni publicznej", true},
        {"powierzchniaObszaruZieleniPublicznej", "green_area_m2", "m2", "powierzchnia tego obszaru zieleni publicznej", true},
        {"odlegloscDoPrzedszkola", "kindergarten_m", "m", "droga dojścia do przedszkola", false},
        {"odlegloscDoZlobka", "nursery_m", "m", "droga dojścia do żłobka", false},
        {"odlegloscDoAmbulatoriumPOZ", "clinic_m", "m", "droga dojścia do ambulatorium podstawowej opieki zdrowotnej", false},
        {"odlegloscDoBiblioteki", "library_m", "m", "droga dojścia do biblioteki", false},
        {"odlegloscDoDomuKultury", "culture_m", "m", "droga dojścia do domu kultury", false},
        {"odlegloscDoDomuPomocySpolecznej", "social_m", "m", "droga dojścia do domu pomocy społecznej", false},
        {"odlegloscDoUrzadzonegoTerenuSportu", "sport_m", "m", "droga dojścia do urządzonego terenu sportu", false},
        {"odlegloscDoPrzystanku", "stop_m", "m", "droga dojścia do przystanku publicznego transportu zbiorowego", false},
        {"odlegloscDoPlacowkiPocztowej", "post_m", "m", "droga dojścia do placówki pocztowej", false},
        {"odlegloscDoApteki", "pharmacy_m", "m", "droga dojścia do apteki", false},
        {"odlegloscDoPosterunkuPolicji", "police_m", "m", "droga dojścia do posterunku policji", false},
        {"odlegloscDoPosterunkuJednostkiOchronyPrzeciwpozarowej", "fire_m", "m", "droga dojścia do posterunku jednostki ochrony przeciwpożarowej", false},
    };
    /* clang-format on */
    *n = (int)(sizeof list / sizeof list[0]);
    return list;
}

bool app_words_subset(const char *codes, const char *allowed, const char **bad)
{
    for (const char *p = codes ? codes : ""; *p;) {
        while (*p == ' ')
            p++;
        size_t l = strcspn(p, " ");
        if (!l)
            break;
        char w[32];
        if (l >= sizeof w || (memcpy(w, p, l), w[l] = 0, !app_words_has(allowed ? allowed : "", w))) {
            if (bad)
                *bad = p;
            return false;
        }
        p += l;
    }
    return true;
}

const char *app_kpt_name(const char *code)
{
    return app_tsv_lookup(&app_kpt_tsv, 0, code, 1);
}

const char *app_status_to_odra(const char *s)
{
    app_lists();
    if (!s)
        return NULL;
    const char *slash = strrchr(s, '/');
    const char *code = slash ? slash + 1 : s;
    for (int i = 0; i < app_status_tsv.nrows; i++)
        if (!strcmp(app_status_tsv.row[i][0], code) || !strcasecmp(app_status_tsv.row[i][1], s))
            return app_status_tsv.row[i][2];
    return NULL;
}

bool app_status_from_odra(const char *status, const char **code, const char **title)
{
    app_lists();
    for (int i = 0; status && i < app_status_tsv.nrows; i++)
        if (!strcasecmp(app_status_tsv.row[i][2], status)) {
            *code = app_status_tsv.row[i][0];
            *title = app_status_tsv.row[i][1];
            return true;
        }
    return false;
}

static void app_lists(void)
{
    pthread_once(&app_lists_once, app_lists_init);
}

const struct app_zone_type *app_zone_types(int *n)
{
    app_lists();
    *n = app_nzones;
    return app_zone_list;
}

/* The zone type whose field (the offset of one of its strings) is value, compared by cmp. */
static const struct app_zone_type *app_zone_type_find(size_t field, const char *value,
                                                      int (*cmp)(const char *, const char *))
{
    app_lists();
    for (int i = 0; value && i < app_nzones; i++)
        if (!cmp(*(const char *const *)((const char *)&app_zone_list[i] + field), value))
            return &app_zone_list[i];
    return NULL;
}

const struct app_zone_type *app_zone_type_by_symbol(const char *symbol)
{
    return app_zone_type_find(offsetof(struct app_zone_type, symbol), symbol, strcmp);
}

const struct app_zone_type *app_zone_type_by_code(const char *code)
{
    return app_zone_type_find(offsetof(struct app_zone_type, code), code, strcmp);
}

const struct app_zone_type *app_zone_type_by_name(const char *name)
{
    return app_zone_type_find(offsetof(struct app_zone_type, name), name, strcasecmp);
}

const struct app_param *app_params(int *n)
{
    app_lists();
    *n = app_nparams;
    return app_param_list;
}

const struct app_param *app_param_find(const char *element)
{
    app_lists();
    for (int i = 0; element && i < app_nparams; i++)
        if (!strcmp(app_param_list[i].element, element))
            return &app_param_list[i];
    return NULL;
}

/* The URI without its scheme, so http and https name the same namespace. */
static const char *app_no_scheme(const char *uri)
{
    if (!strncasecmp(uri, "https://", 8))
        return uri + 8;
    if (!strncasecmp(uri, "http://", 7))
        return uri + 7;
    return uri;
}

const char *app_namespace_version(const char *uri)
{
    return app_tsv_lookup(&app_ns_tsv, 0, uri, 1);
}

const char *app_namespace_uri(const char *version)
{
    return app_tsv_lookup(&app_ns_tsv, 1, version, 0);
}

bool app_namespace_like(const char *uri)
{
    const char *base = app_no_scheme(APP_NS_BASE);
    return uri && !strncasecmp(app_no_scheme(uri), base, strlen(base) - 1);
}

/* Whether type is a feature type name of some APP version (from app_namespaces.tsv). */
static bool app_known_type_name(const char *type)
{
    app_lists();
    for (int i = 0; i < app_ns_tsv.nrows; i++)
        if (app_words_has(app_ns_tsv.row[i][2], type))
            return true;
    return false;
}

/* Whether type is listed for version in app_namespaces.tsv. */
static bool app_version_lists_type(const char *version, const char *type)
{
    app_lists();
    for (int i = 0; i < app_ns_tsv.nrows; i++)
        if (!strcmp(app_ns_tsv.row[i][1], version) && app_words_has(app_ns_tsv.row[i][2], type))
            return true;
    return false;
}

const char *app_wojewodztwo(const char *teryt)
{
    app_lists();
    for (int i = 0; teryt && strlen(teryt) >= 2 && i < app_woj_tsv.nrows; i++)
        if (!strncmp(app_woj_tsv.row[i][0], teryt, 2))
            return app_woj_tsv.row[i][1];
    return NULL;
}

void app_gmina_describe(const char *teryt, const struct app_gmina *gminas, int n, char *out, size_t cap)
{
    for (int i = 0; i < n; i++)
        if (app_teryt_matches(teryt, gminas[i].teryt)) {
            snprintf(out, cap, "%s (TERYT %s)", gminas[i].name, gminas[i].teryt);
            return;
        }
    const char *woj = app_wojewodztwo(teryt);
    if (woj)
        snprintf(out, cap, "o kodzie TERYT %s (woj. %s)", teryt, woj);
    else
        snprintf(out, cap, "o kodzie TERYT %s", teryt);
}

/* ---- rules on single values ---- */

int app_decimals(const char *text, double *value)
{
    const char *p = text;
    if (!p)
        return -1;
    while (isspace((unsigned char)*p))
        p++;
    const char *start = p;
    if (*p == '+' || *p == '-')
        p++;
    int before = 0, after = -1;
    while (isdigit((unsigned char)*p))
        p++, before++;
    if (*p == '.') {
        p++;
        after = 0;
        while (isdigit((unsigned char)*p))
            p++, after++;
    }
    const char *end = p;
    while (isspace((unsigned char)*p))
        p++;
    if (*p || (before == 0 && after <= 0))
        return -1;
    if (value) {
        char num[64];
        size_t l = (size_t)(end - start);
        if (l >= sizeof num)
            return -1;
        memcpy(num, start, l);
        num[l] = 0;
        *value = strtod(num, NULL);
    }
    return after < 0 ? 0 : after;
}

bool app_designation_ok(const char *oznaczenie, const char *symbol)
{
    if (!oznaczenie || !symbol || !*symbol)
        return false;
    const char *p = oznaczenie;
    if (!isdigit((unsigned char)*p) || *p == '0')
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    return !strcmp(p, symbol);
}

bool app_namespace_teryt(const char *ns, char out[8])
{
    out[0] = 0;
    const char *slash = ns ? strrchr(ns, '/') : NULL;
    if (!slash)
        return false;
    const char *p = slash + 1;
    size_t n = 0;
    while (isdigit((unsigned char)p[n]))
        n++;
    if ((n != 6 && n != 7) || (p[n] != '-' && p[n] != 0))
        return false;
    memcpy(out, p, n);
    out[n] = 0;
    return true;
}

bool app_teryt_matches(const char *ns_teryt, const char *tenant_teryt)
{
    if (!ns_teryt || !tenant_teryt)
        return false;
    size_t n = strlen(ns_teryt);
    if (n == 7)
        return !strcmp(ns_teryt, tenant_teryt);
    return n == 6 && strlen(tenant_teryt) >= 6 && !strncmp(ns_teryt, tenant_teryt, 6);
}

bool app_act_iip(const char *href, const char *ns, const char *lid, char *out, size_t cap)
{
    static const char key[] = "/AktPlanowaniaPrzestrzennego/";
    const char *k = href ? strstr(href, key) : NULL;
    if (k) {
        /* NS1/NS2/LID[/VERSION]: the namespace has one '/' ("PL.ZIPPZP.1234/121201-POG") */
        const char *p = k + strlen(key);
        const char *s1 = strchr(p, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        if (s1 && s2 && s2[1]) {
            size_t l = strcspn(s2 + 1, "/#?");
            if (l && (size_t)(s2 - p) + 1 + l < cap) {
                snprintf(out, cap, "%.*s", (int)((size_t)(s2 - p) + 1 + l), p);
                return true;
            }
        }
    }
    if (!ns || !*ns || !lid || !*lid)
        return false;
    size_t l = strcspn(lid, "-");
    return snprintf(out, cap, "%s/%.*s", ns, (int)l, lid) < (int)cap;
}

int app_version_cmp(const char *a, const char *b)
{
    bool ha = a && *a, hb = b && *b;
    if (!ha || !hb)
        return (int)ha - (int)hb;
    return strcmp(a, b);
}

/* ---- the schema ---- */

struct app_stype {
    char *name; /* complexType name */
    char *base; /* base type in the target namespace, or NULL */
    char **elems;
    bool *required;
    int nelems;
};

struct app_schema {
    char *ns, *path;
    struct app_stype *types;
    int ntypes;
    char **features; /* concrete feature element names */
    char **ftypes;   /* their complexType names */
    int nfeatures;
    struct app_schema *next;
};

static pthread_mutex_t app_schema_lock = PTHREAD_MUTEX_INITIALIZER;
static struct app_schema *app_schemas_cached;

static bool app_xsd_is(xmlNodePtr n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && !xmlStrcmp(n->ns->href, BAD_CAST APP_XSD_NS) &&
           !xmlStrcmp(n->name, BAD_CAST local);
}

/* The local part of QName q when its prefix resolves (at node n) to namespace ns; else NULL. */
static char *app_qname_local(xmlDocPtr doc, xmlNodePtr n, const xmlChar *q, const char *ns)
{
    if (!q)
        return NULL;
    const char *colon = strchr((const char *)q, ':');
    xmlChar *prefix = colon ? xmlStrndup(q, (int)(colon - (const char *)q)) : NULL;
    xmlNsPtr x = xmlSearchNs(doc, n, prefix);
    xmlFree(prefix);
    if (!x || !x->href || strcmp((const char *)x->href, ns) != 0)
        return NULL;
    return strdup(colon ? colon + 1 : (const char *)q);
}

static void app_stype_add(struct app_stype *t, const char *name, bool required)
{
    char **ne = realloc(t->elems, (size_t)(t->nelems + 1) * sizeof *ne);
    bool *nr = ne ? realloc(t->required, (size_t)(t->nelems + 1) * sizeof *nr) : NULL;
    if (ne)
        t->elems = ne;
    if (!ne || !nr)
        return;
    t->required = nr;
    t->elems[t->nelems] = strdup(name);
    t->required[t->nelems] = required;
    if (t->elems[t->nelems])
        t->nelems++;
}

/* Collects the elements of a content model (sequence, choice, all), not descending into the elements'
 * own types. opt: inside a choice or an optional group, where nothing is required. */
static void app_model(xmlNodePtr n, struct app_stype *t, bool opt)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *min = xmlGetProp(c, BAD_CAST "minOccurs");
        bool zero = min && !xmlStrcmp(min, BAD_CAST "0");
        xmlFree(min);
        if (app_xsd_is(c, "element")) {
            xmlChar *name = xmlGetProp(c, BAD_CAST "name");
            if (!name) {
                xmlChar *ref = xmlGetProp(c, BAD_CAST "ref");
                const char *colon = ref ? strchr((const char *)ref, ':') : NULL;
                if (ref)
                    app_stype_add(t, colon ? colon + 1 : (const char *)ref, !opt && !zero);
                xmlFree(ref);
            } else
                app_stype_add(t, (const char *)name, !opt && !zero);
            xmlFree(name);
        } else if (app_xsd_is(c, "sequence") || app_xsd_is(c, "all"))
            app_model(c, t, opt || zero);
        else if (app_xsd_is(c, "choice"))
            app_model(c, t, true);
        else if (app_xsd_is(c, "complexContent") || app_xsd_is(c, "extension"))
            app_model(c, t, opt);
    }
}

static const struct app_stype *app_stype_find(const struct app_schema *s, const char *name)
{
    for (int i = 0; name && i < s->ntypes; i++)
        if (!strcmp(s->types[i].name, name))
            return &s->types[i];
    return NULL;
}

/* Reads one XSD into a schema when its targetNamespace is ns. */
static struct app_schema *app_schema_read(const char *path, const char *ns)
{
    xmlDocPtr doc =
        xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlChar *tns = root && app_xsd_is(root, "schema") ? xmlGetProp(root, BAD_CAST "targetNamespace") : NULL;
    if (!tns || strcmp((const char *)tns, ns) != 0) {
        xmlFree(tns);
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlFree(tns);
    struct app_schema *s = calloc(1, sizeof *s);
    if (!s) {
        xmlFreeDoc(doc);
        return NULL;
    }
    s->ns = strdup(ns);
    s->path = strdup(path);
    /* complex types */
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (!app_xsd_is(c, "complexType"))
            continue;
        xmlChar *name = xmlGetProp(c, BAD_CAST "name");
        struct app_stype *nt = name ? realloc(s->types, (size_t)(s->ntypes + 1) * sizeof *nt) : NULL;
        if (!nt) {
            xmlFree(name);
            continue;
        }
        s->types = nt;
        struct app_stype *t = &s->types[s->ntypes++];
        memset(t, 0, sizeof *t);
        t->name = strdup((const char *)name);
        xmlFree(name);
        for (xmlNodePtr cc = c->children; cc; cc = cc->next)
            if (app_xsd_is(cc, "complexContent"))
                for (xmlNodePtr ext = cc->children; ext; ext = ext->next)
                    if (app_xsd_is(ext, "extension")) {
                        xmlChar *base = xmlGetProp(ext, BAD_CAST "base");
                        t->base = app_qname_local(doc, ext, base, ns);
                        xmlFree(base);
                    }
        app_model(c, t, false);
    }
    /* global elements: name -> (type, substitution group, abstract) */
    struct {
        char *name, *type, *group;
        bool abstract, group_gml_feature;
    } el[256];
    int nel = 0;
    for (xmlNodePtr c = root->children; c && nel < 256; c = c->next) {
        if (!app_xsd_is(c, "element"))
            continue;
        xmlChar *name = xmlGetProp(c, BAD_CAST "name"), *type = xmlGetProp(c, BAD_CAST "type");
        xmlChar *grp = xmlGetProp(c, BAD_CAST "substitutionGroup"), *abs = xmlGetProp(c, BAD_CAST "abstract");
        if (name) {
            el[nel].name = strdup((const char *)name);
            el[nel].type = app_qname_local(doc, c, type, ns);
            el[nel].group = app_qname_local(doc, c, grp, ns);
            char *gml = app_qname_local(doc, c, grp, APP_GML_NS);
            el[nel].group_gml_feature = gml && !strcmp(gml, "AbstractFeature");
            free(gml);
            el[nel].abstract = abs && !xmlStrcmp(abs, BAD_CAST "true");
            nel++;
        }
        xmlFree(name);
        xmlFree(type);
        xmlFree(grp);
        xmlFree(abs);
    }
    for (int i = 0; i < nel; i++) {
        if (el[i].abstract || !el[i].type)
            continue;
        /* follow the substitution groups within the schema up to gml:AbstractFeature */
        int k = i, hops = 0;
        bool feature = false;
        while (hops++ < 16) {
            if (el[k].group_gml_feature) {
                feature = true;
                break;
            }
            int next = -1;
            for (int m = 0; el[k].group && m < nel; m++)
                if (!strcmp(el[m].name, el[k].group))
                    next = m;
            if (next < 0)
                break;
            k = next;
        }
        if (!feature)
            continue;
        char **nf = realloc(s->features, (size_t)(s->nfeatures + 1) * sizeof *nf);
        char **nft = nf ? realloc(s->ftypes, (size_t)(s->nfeatures + 1) * sizeof *nft) : NULL;
        if (nf)
            s->features = nf;
        if (!nft)
            continue;
        s->ftypes = nft;
        s->features[s->nfeatures] = strdup(el[i].name);
        s->ftypes[s->nfeatures] = strdup(el[i].type);
        s->nfeatures++;
    }
    for (int i = 0; i < nel; i++) {
        free(el[i].name);
        free(el[i].type);
        free(el[i].group);
    }
    xmlFreeDoc(doc);
    return s;
}

static bool app_dir_has_xsd(const char *dir)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/planowaniePrzestrzenne_2_0.xsd", dir);
    FILE *f = fopen(p, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

const char *app_schema_dir(const char *dir, char *buf, size_t cap)
{
    if (dir && *dir)
        return dir;
    const char *sh = getenv("ODRA_SHARED");
    if (sh && *sh) {
        snprintf(buf, cap, "%s/data/app", sh);
        return buf;
    }
    /* next to the repository the binary was built in (build/odra -> ../shared), then the working directory's */
    char exe[900];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, cap, "%s/../../shared/data/app", exe);
            if (app_dir_has_xsd(buf))
                return buf;
        }
    }
    return "../shared/data/app";
}

const struct app_schema *app_schema_get(const char *dir, const char *ns, struct err *e)
{
    pthread_mutex_lock(&app_schema_lock);
    struct app_schema *s = app_schemas_cached;
    while (s && (strcmp(s->ns, ns) || strncmp(s->path, dir, strlen(dir))))
        s = s->next;
    if (s) {
        pthread_mutex_unlock(&app_schema_lock);
        return s;
    }
    static const char *const subdirs[] = {"", "/xsd"};
    static const char *const names[] = {"planowaniePrzestrzenne_2_0.xsd", "planowaniePrzestrzenne.xsd",
                                        "planowaniePrzestrzenne_1_0.xsd", NULL};
    for (size_t d = 0; d < 2 && !s; d++)
        for (int i = 0; names[i] && !s; i++) {
            char path[1200];
            snprintf(path, sizeof path, "%s%s/%s", dir, subdirs[d], names[i]);
            FILE *f = fopen(path, "rb");
            if (!f)
                continue;
            fclose(f);
            s = app_schema_read(path, ns);
        }
    if (s) {
        s->next = app_schemas_cached;
        app_schemas_cached = s;
    } else
        err_set(e, ERR_NOT_FOUND, "brak pliku XSD przestrzeni nazw %s w katalogu %s (klucz [import] app_schemas)", ns,
                dir);
    pthread_mutex_unlock(&app_schema_lock);
    return s;
}

static int app_schema_feature(const struct app_schema *s, const char *type)
{
    for (int i = 0; s && type && i < s->nfeatures; i++)
        if (!strcmp(s->features[i], type))
            return i;
    return -1;
}

bool app_schema_has_type(const struct app_schema *s, const char *type)
{
    return app_schema_feature(s, type) >= 0;
}

const char *app_schema_required(const struct app_schema *s, const char *type, int i)
{
    int f = app_schema_feature(s, type);
    if (f < 0)
        return NULL;
    int hops = 0;
    for (const struct app_stype *t = app_stype_find(s, s->ftypes[f]); t && hops++ < 16; t = app_stype_find(s, t->base))
        for (int k = 0; k < t->nelems; k++)
            if (t->required[k] && i-- == 0)
                return t->elems[k];
    return NULL;
}

bool app_schema_allows(const struct app_schema *s, const char *type, const char *element)
{
    int f = app_schema_feature(s, type);
    if (f < 0)
        return false;
    int hops = 0;
    for (const struct app_stype *t = app_stype_find(s, s->ftypes[f]); t && hops++ < 16; t = app_stype_find(s, t->base))
        for (int k = 0; k < t->nelems; k++)
            if (!strcmp(t->elems[k], element))
                return true;
    return false;
}

/* ---- the pre-pass ---- */

enum {
    V_NS,
    V_LID,
    V_VERSION,
    V_OZN,
    V_SYMBOL,
    V_NAZWA_HREF,
    V_NAZWA_TITLE,
    V_PLAN_HREF,
    V_BASIC,   /* profilPodstawowy: KPT codes, space-separated */
    V_EXTRA,   /* profilDodatkowy */
    V_UCHWALA, /* DokumentFormalny links: hrefs, newline-separated */
    V_ZMIENIA,
    V_UCHYLA,
    V_TYTUL,    /* captured text */
    V_IN_FORCE, /* dataWejsciaWZycie */
    V_REPEALED, /* dataUchylenia */
    V_NVALUES
};

struct scan_param {
    bool present, uom_set, long_text;
    char text[64], uom[32];
};

struct scan_state {
    const struct app_scan_opts *o;
    struct app_scan *scan;
    struct gis_report *rp;
    const char *label;
    xmlParserCtxtPtr ctxt;
    bool stopped, decided, fatal;
    int depth, elements;
    bool app_at[APP_MAX_DEPTH + 2]; /* whether the element at each depth is in an APP namespace */
    const struct app_schema *schema;
    bool schema_warned, version_warned;

    /* the current feature */
    int fdepth; /* its depth, 0 outside features */
    char ftype[96];
    bool fknown; /* its type is known to the version */
    char **children;
    int nchildren, capchildren;
    char *val[V_NVALUES];
    struct scan_param par[APP_MAX_ROWS];
    long vertices;
    bool in_idiip;

    /* text being captured */
    int cap_what;  /* V_* or 100 + parameter index, -1 for none */
    int cap_depth; /* depth of the element whose text is captured */
    char cap[APP_MAX_VALUE + 1];
    size_t ncap;
    bool cap_long;

    /* text being counted */
    bool coords; /* inside gml:posList / pos / coordinates */
    bool in_token;
    long tokens, text_run;
};

static void scan_stop(struct scan_state *st)
{
    if (!st->stopped) {
        st->stopped = true;
        xmlStopParser(st->ctxt);
    }
}

static void scan_fatal(struct scan_state *st, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void scan_fatal(struct scan_state *st, const char *rule, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = st->ctxt ? xmlSAX2GetLineNumber(st->ctxt) : 0;
    gis_report_add(st->rp, rule, st->label, st->fdepth ? st->val[V_LID] : NULL, NULL, NAN, "%s (wiersz %d)", msg, line);
    st->fatal = true;
    scan_stop(st);
}

static char *scan_attr(const xmlChar **attrs, int nattrs, const char *uri, const char *local)
{
    for (int i = 0; i < nattrs; i++) {
        const xmlChar *lname = attrs[i * 5], *auri = attrs[i * 5 + 2];
        if (strcmp((const char *)lname, local) != 0)
            continue;
        if (uri ? (!auri || strcmp((const char *)auri, uri)) : auri != NULL)
            continue;
        const xmlChar *b = attrs[i * 5 + 3], *e = attrs[i * 5 + 4];
        size_t n = (size_t)(e - b);
        char *s = malloc(n + 1);
        if (s) {
            memcpy(s, b, n);
            s[n] = 0;
        }
        return s;
    }
    return NULL;
}

static void scan_feature_reset(struct scan_state *st)
{
    for (int i = 0; i < st->nchildren; i++)
        free(st->children[i]);
    st->nchildren = 0;
    for (int i = 0; i < V_NVALUES; i++) {
        free(st->val[i]);
        st->val[i] = NULL;
    }
    memset(st->par, 0, sizeof st->par);
    st->vertices = 0;
    st->fdepth = 0;
    st->in_idiip = false;
}

static void scan_child(struct scan_state *st, const char *name)
{
    for (int i = 0; i < st->nchildren; i++)
        if (!strcmp(st->children[i], name))
            return;
    if (st->nchildren == st->capchildren) {
        int nc = st->capchildren ? st->capchildren * 2 : 32;
        char **p = realloc(st->children, (size_t)nc * sizeof *p);
        if (!p)
            return;
        st->children = p, st->capchildren = nc;
    }
    char *d = strdup(name);
    if (d)
        st->children[st->nchildren++] = d;
}

static bool scan_has_child(const struct scan_state *st, const char *name)
{
    for (int i = 0; i < st->nchildren; i++)
        if (!strcmp(st->children[i], name))
            return true;
    return false;
}

static void scan_version(struct scan_state *st, const char *uri)
{
    const char *v = app_namespace_version(uri);
    if (!v) {
        scan_fatal(st, "NIEZNANA-WERSJA-APP", "przestrzeń nazw %s nie jest znaną wersją APP (1.0 lub 2.0)", uri);
        return;
    }
    if (!st->scan->version[0]) {
        snprintf(st->scan->version, sizeof st->scan->version, "%s", v);
        struct err e = {0};
        char buf[600];
        st->schema = app_schema_get(app_schema_dir(st->o ? st->o->schemas : NULL, buf, sizeof buf), uri, &e);
        if (!st->schema && !st->schema_warned) {
            st->schema_warned = true;
            gis_report_add(st->rp, "BRAK-SCHEMATU", st->label, NULL, NULL, NAN, "%s", e.msg);
        }
    } else if (strcmp(st->scan->version, v) != 0 && !st->version_warned) {
        st->version_warned = true;
        scan_fatal(st, "MIESZANE-WERSJE-APP", "elementy APP %s obok elementów APP %s", v, st->scan->version);
    } else if (!st->schema) {
        struct err e = {0};
        char buf[600];
        st->schema = app_schema_get(app_schema_dir(st->o ? st->o->schemas : NULL, buf, sizeof buf), uri, &e);
    }
}

/* Before the file is known to be APP: an element outside APP's namespaces that is not a GML container
 * settles it. An APP type name in another namespace is an unknown APP version (fatal); anything else means
 * the file is not APP, and the rest of it is GDAL's business. False when the scan stopped. */
static bool scan_decide(struct scan_state *st, const char *name, const char *uri)
{
    static const char *const containers[] = {
        "member",      "featureMember",     "featureMembers",          "boundedBy",         "Envelope", "lowerCorner",
        "upperCorner", "additionalObjects", "SimpleFeatureCollection", "FeatureCollection", NULL};
    for (int i = 0; containers[i]; i++)
        if (!strcmp(name, containers[i]))
            return true;
    if (app_known_type_name(name)) {
        scan_fatal(st, "NIEZNANA-WERSJA-APP",
                   "obiekt %s w przestrzeni nazw „%s”, która nie jest przestrzenią nazw APP 1.0 ani 2.0", name, uri);
        return false;
    }
    st->decided = true;
    scan_stop(st);
    return false;
}

/* Starts capturing the text of the element at the current depth as value what. */
static void scan_capture(struct scan_state *st, int what)
{
    if (what < 0)
        return;
    st->cap_what = what;
    st->cap_depth = st->depth;
    st->ncap = 0;
    st->cap_long = false;
}

/* A feature's APP property: what of its text to capture (V_* or 100 + a planning parameter's index), with
 * the links of nazwa and plan and the unit of a parameter read from the attributes; -1 for none. */
static int scan_property(struct scan_state *st, const char *name, const xmlChar **attributes, int nb_attributes)
{
    if (!strcmp(name, "oznaczenie"))
        return V_OZN;
    if (!strcmp(name, "symbol"))
        return V_SYMBOL;
    if (!strcmp(name, "idIIP")) {
        st->in_idiip = true;
        return -1;
    }
    if (!strcmp(name, "nazwa") || !strcmp(name, "plan")) {
        bool nazwa = name[0] == 'n';
        char *href = scan_attr(attributes, nb_attributes, APP_XLINK_NS, "href");
        free(st->val[nazwa ? V_NAZWA_HREF : V_PLAN_HREF]);
        st->val[nazwa ? V_NAZWA_HREF : V_PLAN_HREF] = href;
        if (nazwa) {
            free(st->val[V_NAZWA_TITLE]);
            st->val[V_NAZWA_TITLE] = scan_attr(attributes, nb_attributes, APP_XLINK_NS, "title");
        }
        return -1;
    }
    static const struct {
        const char *name;
        int v;
        char sep; /* 0: captured text; else the separator between the values of repeated links */
    } links[] = {{"profilPodstawowy", V_BASIC, ' '},   {"profilDodatkowy", V_EXTRA, ' '}, {"uchwala", V_UCHWALA, '\n'},
                 {"zmienia", V_ZMIENIA, '\n'},         {"uchyla", V_UCHYLA, '\n'},        {"tytul", V_TYTUL, 0},
                 {"dataWejsciaWZycie", V_IN_FORCE, 0}, {"dataUchylenia", V_REPEALED, 0}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        if (strcmp(name, links[i].name) != 0)
            continue;
        if (!links[i].sep)
            return links[i].v;
        char *href = scan_attr(attributes, nb_attributes, APP_XLINK_NS, "href");
        /* a profile class is the KPT code after the ontology's "#KPT-MPZP-" (or the last '-', '#' or '/') */
        const char *v = href;
        if (href && links[i].sep == ' ') {
            const char *k = strstr(href, "KPT-MPZP-");
            v = k ? k + 9 : href;
            for (const char *c = href; !k && *c; c++)
                if (*c == '#' || *c == '/' || *c == '-')
                    v = c + 1;
        }
        char **slot = &st->val[links[i].v];
        if (v && *v && strlen(v) < 1000 && (!*slot || strlen(*slot) < APP_MAX_VALUE)) {
            size_t old = *slot ? strlen(*slot) : 0, n = strlen(v);
            char *grown = realloc(*slot, old + n + 2);
            if (grown) {
                if (old)
                    grown[old++] = links[i].sep;
                memcpy(grown + old, v, n + 1);
                *slot = grown;
            }
        }
        free(href);
        return -1;
    }
    int np = 0, what = -1;
    const struct app_param *all = app_params(&np);
    for (int i = 0; i < np; i++)
        if (!strcmp(all[i].element, name)) {
            struct scan_param *p = &st->par[i];
            p->present = true;
            char *uom = scan_attr(attributes, nb_attributes, NULL, "uom");
            if (uom) {
                p->uom_set = true;
                snprintf(p->uom, sizeof p->uom, "%s", uom);
                free(uom);
            }
            what = 100 + i;
        }
    return what;
}

/* A new feature: an APP element whose parent is not APP. */
static void scan_feature_start(struct scan_state *st, const char *name)
{
    scan_feature_reset(st);
    st->fdepth = st->depth;
    snprintf(st->ftype, sizeof st->ftype, "%s", name);
    st->scan->features++;
    st->fknown = st->schema ? app_schema_has_type(st->schema, name) : app_version_lists_type(st->scan->version, name);
    if (!st->fknown)
        gis_report_add(st->rp, "NIEZNANY-TYP-OBIEKTU", st->label, NULL, NULL, NAN,
                       "typ obiektu %s nie występuje w APP %s", name, st->scan->version);
}

static void scan_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI,
                       int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                       const xmlChar **attributes)
{
    (void)prefix, (void)nb_namespaces, (void)namespaces, (void)nb_defaulted;
    struct scan_state *st = ctx;
    if (st->stopped)
        return;
    const char *name = (const char *)localname, *uri = URI ? (const char *)URI : "";
    st->depth++;
    st->elements++;
    st->text_run = 0;
    if (st->depth > APP_MAX_DEPTH) {
        scan_fatal(st, "XML-LIMIT", "elementy zagnieżdżone głębiej niż %d poziomów", APP_MAX_DEPTH);
        return;
    }
    bool app = app_namespace_like(uri);
    st->app_at[st->depth] = app;
    bool parent_app = st->depth > 1 && st->app_at[st->depth - 1];
    if (app) {
        scan_version(st, uri);
        if (st->stopped)
            return;
        st->scan->app = true;
        st->decided = true;
    } else if (!st->decided && st->depth >= 2 && !scan_decide(st, name, uri)) {
        return;
    }
    if (app && !parent_app && !st->fdepth) {
        scan_feature_start(st, name);
        return;
    }
    if (!st->fdepth)
        return;
    int rel = st->depth - st->fdepth;
    if (rel == 1) {
        if (app) {
            scan_child(st, name);
            scan_capture(st, scan_property(st, name, attributes, nb_attributes));
        } else if (strcmp(uri, APP_GML_NS) != 0 && st->fknown)
            gis_report_add(st->rp, "NIEZNANY-ELEMENT", st->label, NULL, NULL, NAN,
                           "element %s z przestrzeni nazw „%s” w obiekcie %s", name, uri, st->ftype);
    } else if (st->in_idiip && rel == 3 && app) {
        scan_capture(st, !strcmp(name, "przestrzenNazw") ? V_NS
                         : !strcmp(name, "lokalnyId")    ? V_LID
                         : !strcmp(name, "wersjaId")     ? V_VERSION
                                                         : -1);
    }
    if (!strcmp(uri, APP_GML_NS) &&
        (!strcmp(name, "posList") || !strcmp(name, "pos") || !strcmp(name, "coordinates"))) {
        st->coords = true;
        st->in_token = false;
        st->tokens = 0;
    }
}

static void scan_feature_end(struct scan_state *st);

static void scan_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI)
{
    (void)localname, (void)prefix, (void)URI;
    struct scan_state *st = ctx;
    if (st->stopped)
        return;
    st->text_run = 0;
    if (st->coords) {
        bool pairs = strcmp((const char *)localname, "coordinates") != 0;
        st->vertices += pairs ? (st->tokens + 1) / 2 : st->tokens;
        st->coords = false;
        if (st->vertices > APP_MAX_VERTICES) {
            scan_fatal(st, "XML-LIMIT", "obiekt %s ma więcej niż %ld wierzchołków",
                       st->val[V_LID] ? st->val[V_LID] : "", APP_MAX_VERTICES);
            return;
        }
    }
    if (st->cap_what >= 0 && st->depth == st->cap_depth) {
        st->cap[st->ncap] = 0;
        /* trim */
        char *s = st->cap;
        while (isspace((unsigned char)*s))
            s++;
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
            s[--n] = 0;
        if (st->cap_long)
            gis_report_add(st->rp, "WARTOSC-ZA-DLUGA", st->label, st->val[V_LID], NULL, NAN,
                           "wartość elementu dłuższa niż %d bajtów", APP_MAX_VALUE);
        if (st->cap_what >= 100) {
            struct scan_param *p = &st->par[st->cap_what - 100];
            snprintf(p->text, sizeof p->text, "%s", s);
            p->long_text = st->cap_long || n >= sizeof p->text;
        } else {
            free(st->val[st->cap_what]);
            st->val[st->cap_what] = strdup(s);
        }
        st->cap_what = -1;
    }
    if (st->in_idiip && st->depth == st->fdepth + 1)
        st->in_idiip = false;
    if (st->fdepth && st->depth == st->fdepth)
        scan_feature_end(st);
    st->depth--;
}

static void scan_chars(void *ctx, const xmlChar *ch, int len)
{
    struct scan_state *st = ctx;
    if (st->stopped)
        return;
    if (st->coords) {
        for (int i = 0; i < len; i++) {
            bool sp = isspace(ch[i]);
            if (!sp && !st->in_token)
                st->tokens++;
            st->in_token = !sp;
        }
        return;
    }
    st->text_run += len;
    if (st->text_run > APP_MAX_TEXT) {
        scan_fatal(st, "XML-LIMIT", "tekst elementu dłuższy niż %ld bajtów", APP_MAX_TEXT);
        return;
    }
    if (st->cap_what >= 0) {
        size_t room = APP_MAX_VALUE - st->ncap, n = (size_t)len;
        if (n > room) {
            n = room;
            st->cap_long = true;
        }
        memcpy(st->cap + st->ncap, ch, n);
        st->ncap += n;
    }
}

static void scan_dtd(void *ctx, const xmlChar *name, const xmlChar *ExternalID, const xmlChar *SystemID)
{
    (void)name, (void)ExternalID, (void)SystemID;
    scan_fatal(ctx, "XML-DTD", "plik zawiera deklarację DOCTYPE");
}

static void scan_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *publicId, const xmlChar *systemId,
                             xmlChar *content)
{
    (void)name, (void)type, (void)publicId, (void)systemId, (void)content;
    scan_fatal(ctx, "XML-DTD", "plik deklaruje encję");
}

static xmlEntityPtr scan_get_entity(void *ctx, const xmlChar *name)
{
    (void)ctx, (void)name;
    return NULL;
}

static void scan_error(void *ctx, xmlErrorPtr err)
{
    struct scan_state *st = ctx;
    if (!err || err->level < XML_ERR_ERROR || st->stopped)
        return;
    char msg[300];
    snprintf(msg, sizeof msg, "%s", err->message ? err->message : "błąd składni");
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = 0;
    gis_report_add(st->rp, "XML-NIEPOPRAWNY", st->label, NULL, NULL, NAN, "%s (wiersz %d)", msg, err->line);
    st->fatal = true;
    scan_stop(st);
}

/* Records the feature for the cross-feature rules. */
static void scan_record(struct scan_state *st, const char *act)
{
    struct app_scan *sc = st->scan;
    if (sc->n == sc->cap) {
        size_t nc = sc->cap ? 2 * sc->cap : 64;
        struct app_object *p = realloc(sc->o, nc * sizeof *p);
        if (!p)
            return;
        sc->o = p, sc->cap = nc;
    }
    struct app_object *o = &sc->o[sc->n++];
    *o = (struct app_object){.type = strdup(st->ftype),
                             .ns = st->val[V_NS] ? strdup(st->val[V_NS]) : NULL,
                             .lid = st->val[V_LID] ? strdup(st->val[V_LID]) : NULL,
                             .version = st->val[V_VERSION] && *st->val[V_VERSION] ? strdup(st->val[V_VERSION]) : NULL,
                             .oznaczenie = st->val[V_OZN] ? strdup(st->val[V_OZN]) : NULL,
                             .act = act ? strdup(act) : NULL,
                             .basic = st->val[V_BASIC] ? strdup(st->val[V_BASIC]) : NULL,
                             .extra = st->val[V_EXTRA] ? strdup(st->val[V_EXTRA]) : NULL,
                             .uchwala = st->val[V_UCHWALA] ? strdup(st->val[V_UCHWALA]) : NULL,
                             .zmienia = st->val[V_ZMIENIA] ? strdup(st->val[V_ZMIENIA]) : NULL,
                             .uchyla = st->val[V_UCHYLA] ? strdup(st->val[V_UCHYLA]) : NULL,
                             .title = st->val[V_TYTUL] ? strdup(st->val[V_TYTUL]) : NULL,
                             .in_force = st->val[V_IN_FORCE] ? strdup(st->val[V_IN_FORCE]) : NULL,
                             .repealed = st->val[V_REPEALED] ? strdup(st->val[V_REPEALED]) : NULL,
                             .file = sc->nlabels ? sc->labels[sc->nlabels - 1] : NULL};
}

static void scan_feature_end(struct scan_state *st)
{
    const char *lid = st->val[V_LID], *file = st->label;
    /* required and unknown elements, from the XSD */
    if (st->schema && st->fknown) {
        const char *req;
        for (int i = 0; (req = app_schema_required(st->schema, st->ftype, i)); i++)
            if (!scan_has_child(st, req))
                gis_report_add(st->rp, "BRAK-ELEMENTU", file, lid, NULL, NAN, "obiekt %s bez wymaganego elementu %s",
                               st->ftype, req);
        for (int i = 0; i < st->nchildren; i++)
            if (!app_schema_allows(st->schema, st->ftype, st->children[i]))
                gis_report_add(st->rp, "NIEZNANY-ELEMENT", file, lid, NULL, NAN,
                               "element %s nie należy do typu %s w APP %s", st->children[i], st->ftype,
                               st->scan->version);
    } else if (st->fknown && (!st->val[V_NS] || !lid)) {
        gis_report_add(st->rp, "BRAK-ELEMENTU", file, lid, NULL, NAN, "obiekt %s bez idIIP (przestrzenNazw, lokalnyId)",
                       st->ftype);
    }
    /* the TERYT of the namespace */
    if (st->val[V_NS]) {
        char teryt[8];
        if (!app_namespace_teryt(st->val[V_NS], teryt))
            gis_report_add(st->rp, "BLEDNA-PRZESTRZEN-NAZW", file, lid, NULL, NAN,
                           "przestrzeń nazw „%s” nie zawiera kodu TERYT gminy", st->val[V_NS]);
        else if (st->o && st->o->tenant_teryt && !app_teryt_matches(teryt, st->o->tenant_teryt)) {
            char other[200];
            app_gmina_describe(teryt, st->o->gminas, st->o->ngminas, other, sizeof other);
            gis_report_add(st->rp, "INNA-GMINA", file, lid, NULL, NAN,
                           "obiekt gminy %s (przestrzeń nazw %s), a import jest do gminy %s (TERYT %s)", other,
                           st->val[V_NS], st->o->tenant_name ? st->o->tenant_name : "?", st->o->tenant_teryt);
        }
    }
    char act[600];
    bool zone = !strcmp(st->ftype, "StrefaPlanistyczna");
    bool has_act = zone && app_act_iip(st->val[V_PLAN_HREF], st->val[V_NS], lid, act, sizeof act);
    if (zone) {
        const char *symbol = st->val[V_SYMBOL], *ozn = st->val[V_OZN];
        const struct app_zone_type *zt = app_zone_type_by_symbol(symbol);
        if (symbol && !zt)
            gis_report_add(
                st->rp, "BLEDNY-SYMBOL", file, lid, NULL, NAN,
                "symbol „%s” nie jest symbolem strefy planistycznej (SW, SJ, SZ, SU, SH, SP, SR, SI, SN, SC, "
                "SG, SO, SK)",
                symbol);
        if (zt) {
            /* the name: its code (the href's last segment) and its title must both be the symbol's */
            const char *href = st->val[V_NAZWA_HREF], *title = st->val[V_NAZWA_TITLE];
            const char *code = href ? strrchr(href, '/') : NULL;
            code = code ? code + 1 : href;
            const struct app_zone_type *by_code = code && *code ? app_zone_type_by_code(code) : NULL;
            const struct app_zone_type *by_title = title && *title ? app_zone_type_by_name(title) : NULL;
            if (code && *code && by_code != zt)
                gis_report_add(st->rp, "NIEZGODNA-NAZWA", file, lid, NULL, NAN,
                               "symbol %s oznacza „%s”, a nazwa strefy wskazuje %s„%s”", symbol, zt->name,
                               by_code ? "" : "kod spoza listy ", by_code ? by_code->name : code);
            else if (title && *title && by_title != zt)
                gis_report_add(st->rp, "NIEZGODNA-NAZWA", file, lid, NULL, NAN,
                               "symbol %s oznacza „%s”, a nazwa strefy to „%s”", symbol, zt->name, title);
            else if ((!code || !*code) && (!title || !*title) && scan_has_child(st, "nazwa"))
                gis_report_add(st->rp, "NIEZGODNA-NAZWA", file, lid, NULL, NAN,
                               "nazwa strefy bez wskazania rodzaju strefy (xlink:href) dla symbolu %s", symbol);
        }
        /* the profil funkcjonalny: classes of the KPT code list, the basic ones among the type's basic profile
         * and the additional ones among those the type may add */
        for (int k = 0; zt && k < 2; k++) {
            const char *codes = st->val[k ? V_EXTRA : V_BASIC], *bad = NULL;
            if (codes && !app_words_subset(codes, k ? zt->profile_extra : zt->profile, &bad)) {
                char code[40];
                snprintf(code, sizeof code, "%.*s", (int)strcspn(bad, " "), bad);
                gis_report_add(st->rp, "BLEDNY-PROFIL", file, lid, NULL, NAN,
                               "%s strefy %s: klasa „%s” %s (dozwolone: %s)",
                               k ? "profil dodatkowy" : "profil podstawowy", symbol, code,
                               app_kpt_name(code) ? "nie należy do niego dla tego rodzaju strefy"
                                                  : "nie jest klasą przeznaczenia terenu z listy kodowej",
                               k ? zt->profile_extra : zt->profile);
            }
        }
        if (ozn && symbol && !app_designation_ok(ozn, symbol))
            gis_report_add(st->rp, "BLEDNE-OZNACZENIE", file, lid, NULL, NAN,
                           "oznaczenie „%s” nie jest numerem z symbolem strefy %s (np. 1%s)", ozn, symbol, symbol);
        /* parameters as written */
        int np = 0;
        const struct app_param *all = app_params(&np);
        for (int i = 0; i < np; i++) {
            const struct scan_param *p = &st->par[i];
            if (!p->present)
                continue;
            const struct app_param *d = &all[i];
            double v = NAN;
            int dec = p->long_text ? -1 : app_decimals(p->text, &v);
            char rule[64];
            if (dec < 0) {
                gis_report_add(st->rp, "NIEPOPRAWNA-LICZBA", file, lid, NULL, NAN,
                               "%s: „%.40s” nie jest liczbą dziesiętną (z kropką)", d->name, p->text);
                continue;
            }
            if (dec > d->decimals) {
                snprintf(rule, sizeof rule, "DWA-MIEJSCA-%s", d->rule);
                gis_report_add(st->rp, rule, file, lid, NULL, NAN, "%s = %s: %d miejsca po przecinku, dopuszczalne %d",
                               d->name, p->text, dec, d->decimals);
            }
            bool low = isfinite(d->min) && (d->min_exclusive ? v <= d->min : v < d->min);
            bool high = isfinite(d->max) && v > d->max;
            if (low || high) {
                snprintf(rule, sizeof rule, "ZAKRES-%s", d->rule);
                char range[80];
                if (isfinite(d->max))
                    snprintf(range, sizeof range, "od %g do %g", d->min, d->max);
                else
                    snprintf(range, sizeof range, "%s %g", d->min_exclusive ? "większa niż" : "co najmniej", d->min);
                gis_report_add(st->rp, rule, file, lid, NULL, NAN, "%s = %s, a dopuszczalna wartość: %s", d->name,
                               p->text, range);
            }
            if (d->uom && (!p->uom_set || strcmp(p->uom, d->uom) != 0))
                gis_report_add(st->rp, "BLEDNA-JEDNOSTKA", file, lid, NULL, NAN, "%s: jednostka „%s”, wymagana „%s”",
                               d->name, p->uom_set ? p->uom : "(brak uom)", d->uom);
        }
    }
    scan_record(st, has_act ? act : NULL);
    scan_feature_reset(st);
}

static int scan_read(void *ctx, char *buf, int len)
{
    FILE *f = ctx;
    size_t n = fread(buf, 1, (size_t)len, f);
    return n == 0 && ferror(f) ? -1 : (int)n;
}

static int scan_close(void *ctx)
{
    (void)ctx;
    return 0;
}

enum err_code app_scan_file(const char *path, const char *label, const struct app_scan_opts *o, struct app_scan *scan,
                            struct gis_report *rp, struct err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(e, ERR_IO, "%s: cannot open for reading", path);
    char **nl = realloc(scan->labels, (size_t)(scan->nlabels + 1) * sizeof *nl);
    if (!nl) {
        fclose(f);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    scan->labels = nl;
    scan->labels[scan->nlabels++] = strdup(label);
    struct scan_state *st = calloc(1, sizeof *st);
    if (!st) {
        fclose(f);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    st->o = o;
    st->scan = scan;
    st->rp = rp;
    st->label = scan->labels[scan->nlabels - 1];
    st->cap_what = -1;
    xmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = scan_start;
    h.endElementNs = scan_end;
    h.characters = scan_chars;
    h.cdataBlock = scan_chars;
    h.internalSubset = scan_dtd;
    h.externalSubset = scan_dtd;
    h.entityDecl = scan_entity_decl;
    h.getEntity = scan_get_entity;
    h.getParameterEntity = scan_get_entity;
    h.serror = scan_error;
    /* The pull parser reads through scan_read and hands text over in small pieces, so a long text node
     * (a posList of a million vertices) never sits in memory whole. */
    st->ctxt = xmlCreateIOParserCtxt(&h, st, scan_read, scan_close, f, XML_CHAR_ENCODING_NONE);
    if (!st->ctxt) {
        fclose(f);
        free(st);
        return err_set(e, ERR_INTERNAL, "libxml2 cannot start");
    }
    /* No network, no entity substitution, no DTD loading; libxml2's own limits stay on (no HUGE). */
    xmlCtxtUseOptions(st->ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    xmlParseDocument(st->ctxt);
    enum err_code rc = ferror(f) ? err_set(e, ERR_IO, "%s: read error", path) : ERR_OK;
    fclose(f);
    if (!st->stopped && !st->ctxt->wellFormed && !st->fatal) {
        gis_report_add(rp, "XML-NIEPOPRAWNY", label, NULL, NULL, NAN, "plik nie jest poprawnym XML");
        st->fatal = true;
    }
    if (st->fatal)
        scan->fatal = true;
    scan_feature_reset(st);
    free(st->children);
    xmlFreeParserCtxt(st->ctxt);
    free(st);
    return rc;
}

/* ---- cross-feature rules ---- */

static uint64_t app_hash(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = a; p && *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;
    for (const char *p = b; p && *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

static bool app_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Reports every object whose key (k1, k2) repeats an earlier one. key 0: lokalnyId; 1: act + oznaczenie. */
static void app_dups(struct app_scan *sc, struct gis_report *rp, int key)
{
    size_t cap = 16;
    while (cap < sc->n * 2)
        cap *= 2;
    size_t *slot = malloc(cap * sizeof *slot);
    if (!slot)
        return;
    for (size_t i = 0; i < cap; i++)
        slot[i] = SIZE_MAX;
    for (size_t i = 0; i < sc->n; i++) {
        const struct app_object *o = &sc->o[i];
        const char *a = key ? o->act : o->lid, *b = key ? o->oznaczenie : NULL;
        if (!a || (key && (!b || strcmp(o->type, "StrefaPlanistyczna"))))
            continue;
        size_t s = app_hash(a, b) & (cap - 1);
        while (slot[s] != SIZE_MAX) {
            const struct app_object *p = &sc->o[slot[s]];
            if (app_str_eq(key ? p->act : p->lid, a) && app_str_eq(key ? p->oznaczenie : NULL, b))
                break;
            s = (s + 1) & (cap - 1);
        }
        if (slot[s] == SIZE_MAX) {
            slot[s] = i;
            continue;
        }
        const struct app_object *first = &sc->o[slot[s]];
        if (key)
            gis_report_add(rp, "DUPLIKAT-OZNACZENIE", o->file, o->lid, NULL, NAN,
                           "oznaczenie %s ma już strefa %s tego samego planu (%s)", b, first->lid ? first->lid : "?",
                           a);
        else
            gis_report_add(rp, "DUPLIKAT-LOKALNYID", o->file, o->lid, NULL, NAN,
                           "lokalnyId %s ma już inny obiekt w pliku (%s%s%s)", a, first->type,
                           first->oznaczenie ? " " : "", first->oznaczenie ? first->oznaczenie : "");
    }
    free(slot);
}

void app_scan_finish(struct app_scan *sc, struct gis_report *rp)
{
    app_dups(sc, rp, 0);
    app_dups(sc, rp, 1);
}

void app_scan_free(struct app_scan *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        free(sc->o[i].type);
        free(sc->o[i].ns);
        free(sc->o[i].lid);
        free(sc->o[i].version);
        free(sc->o[i].oznaczenie);
        free(sc->o[i].act);
        char *more[] = {sc->o[i].basic,  sc->o[i].extra, sc->o[i].uchwala,  sc->o[i].zmienia,
                        sc->o[i].uchyla, sc->o[i].title, sc->o[i].in_force, sc->o[i].repealed};
        for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
            free(more[k]);
    }
    free(sc->o);
    for (int i = 0; i < sc->nlabels; i++)
        free(sc->labels[i]);
    free(sc->labels);
    memset(sc, 0, sizeof *sc);
}
