/* nut-rs: writes C NUT's snmp-ups mapping tables as Rust data (see README.md).
 *
 * Linked with C NUT's own *-mib.c objects and snmp-ups-helpers.c, so every value it prints
 * is read from the tables as C's compiler laid them out. extract.sh generates
 * mib2nut-list.h (the mappings of C's mib2nut[], in its order) and the symbol file (nm -l),
 * which names each table and tells which C file defines it.
 *
 * Usage: extract SYMBOLS_FILE OUT_DIR NUT_VERSION
 */

#include "main.h" /* as the *-mib.h headers do: config.h, extstate.h (ST_FLAG_*) */
#include "snmp-ups.h"
#include "eaton-pdu-marlin-helpers.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mib2nut-list.h"

/* What the objects need from the rest of C's driver: the debug sink of snmp-ups-helpers.c,
 * and the two hooks of eaton-pdu-marlin-helpers.c (only their addresses matter here). */
int nut_debug_level = 0;
void s_upsdebugx(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}
const char *eaton_sensor_temperature_unit_fun(void *raw_snmp_value)
{
	(void)raw_snmp_value;
	return "eaton_sensor_temperature_unit_fun";
}
long marlin_device_count_fun(const char *daisy_dev_list)
{
	(void)daisy_dev_list;
	return -4242;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "extract: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* ---- symbols (nm -l -S --defined-only) ---- */

typedef struct {
	uintptr_t addr;
	uintptr_t size;
	char name[128];
	char file[128]; /* basename of the defining C file */
} sym_t;

static sym_t *syms;
static size_t nsyms;
static intptr_t bias; /* run-time address minus nm address */

static void read_symbols(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t cap = 0;
	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f)) {
		/* "ADDR [SIZE] TYPE NAME [FILE:LINE]"; only symbols with a size are tables */
		char *tok[5], *t, *slash, *colon, *save = NULL;
		int n = 0;
		for (t = strtok_r(line, " \t\n", &save); t && n < 5; t = strtok_r(NULL, " \t\n", &save))
			tok[n++] = t;
		if (n < 4 || strlen(tok[1]) != strlen(tok[0]) || strlen(tok[2]) != 1)
			continue;
		if (nsyms == cap) {
			cap = cap ? 2 * cap : 1024;
			syms = realloc(syms, cap * sizeof *syms);
			if (!syms)
				die("out of memory");
		}
		syms[nsyms].addr = (uintptr_t)strtoull(tok[0], NULL, 16);
		syms[nsyms].size = (uintptr_t)strtoull(tok[1], NULL, 16);
		snprintf(syms[nsyms].name, sizeof syms[nsyms].name, "%s", tok[3]);
		syms[nsyms].file[0] = '\0';
		if (n == 5) {
			colon = strrchr(tok[4], ':');
			if (colon)
				*colon = '\0';
			slash = strrchr(tok[4], '/');
			snprintf(syms[nsyms].file, sizeof syms[nsyms].file, "%s", slash ? slash + 1 : tok[4]);
		}
		nsyms++;
	}
	fclose(f);
}

static const sym_t *sym_by_name(const char *name)
{
	size_t i;
	const sym_t *found = NULL;
	for (i = 0; i < nsyms; i++) {
		if (!strcmp(syms[i].name, name)) {
			if (found)
				die("symbol %s defined twice", name);
			found = &syms[i];
		}
	}
	if (!found)
		die("symbol %s not in the symbol file", name);
	return found;
}

/* The table that starts at p; the extractor refuses a pointer into the middle of a table. */
static const sym_t *sym_at(const void *p, const char *what)
{
	size_t i;
	uintptr_t a = (uintptr_t)p - (uintptr_t)bias;
	for (i = 0; i < nsyms; i++) {
		if (syms[i].addr <= a && a < syms[i].addr + syms[i].size) {
			if (syms[i].addr != a)
				die("%s points %lu bytes into %s: not expressible", what,
				    (unsigned long)(a - syms[i].addr), syms[i].name);
			if (!syms[i].file[0])
				die("no source file for symbol %s (compile with -g)", syms[i].name);
			return &syms[i];
		}
	}
	die("%s at %p is no known symbol", what, p);
	return NULL;
}

/* ---- tables to emit ---- */

enum kind { K_MAPPING, K_ITEMS, K_LOOKUP, K_ALARMS };

typedef struct {
	enum kind kind;
	const void *ptr;
	const sym_t *sym;
	char module[64];
	char rust[128];
	size_t rows;
	int open; /* a lookup without its closing row */
	int emitted;
} table_t;

static table_t tables[4096];
static size_t ntables;

static void module_of(const char *file, char *out, size_t outlen)
{
	char buf[128];
	size_t n;
	char *p;
	snprintf(buf, sizeof buf, "%s", file);
	n = strlen(buf);
	if (n > 2 && !strcmp(buf + n - 2, ".c"))
		buf[n -= 2] = '\0';
	if (n > 4 && !strcmp(buf + n - 4, "-mib"))
		buf[n -= 4] = '\0';
	for (p = buf; *p; p++) {
		if (*p == '-')
			*p = '_';
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			die("file name %s does not make a module name", file);
	}
	snprintf(out, outlen, "%s", buf);
}

static void rust_name(const char *c, char *out, size_t outlen)
{
	size_t i;
	for (i = 0; c[i] && i + 1 < outlen; i++) {
		char ch = c[i];
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		else if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
			die("symbol %s does not make a Rust name", c);
		out[i] = ch;
	}
	out[i] = '\0';
}

/* The rows of a table before its closing row (C stops at the first row whose key is NULL),
 * looked for within the array the symbol file gives. */
static size_t rows_in(const sym_t *s, size_t rowsize)
{
	if (s->size % rowsize)
		die("%s: size %lu is not a number of rows", s->name, (unsigned long)s->size);
	return s->size / rowsize;
}

static size_t count_items(const snmp_info_t *t)
{
	const sym_t *s = sym_at(t, "items");
	size_t cap = rows_in(s, sizeof *t), n = 0;
	while (n < cap && t[n].info_type != NULL)
		n++;
	if (n == cap)
		die("items table %s has no closing row", s->name);
	if (t[n].info_flags || t[n].info_len != 0.0 || t[n].OID || t[n].dfl || t[n].flags || t[n].oid2info)
		die("items table %s ends in a row that is not empty", s->name);
	return n;
}

/* *open is set when the array has no closing row (no NULL text): C's loops that stop only
 * there read on past its end (what lies there depends on how C's compiler laid out the data;
 * su_find_infoval also stops at a row whose text is "NULL"). */
static size_t count_lookup(const info_lkp_t *t, int *open)
{
	const sym_t *s = sym_at(t, "lookup");
	size_t cap = rows_in(s, sizeof *t), n = 0;
	while (n < cap && t[n].info_value != NULL)
		n++;
	*open = (n == cap);
	if (!*open && (t[n].oid_value || t[n].fun_vp2s || t[n].nuf_s2l))
		die("lookup table %s ends in a row that is not empty", s->name);
	return n;
}

static size_t count_alarms(const alarms_info_t *t)
{
	const sym_t *s = sym_at(t, "alarms");
	size_t cap = rows_in(s, sizeof *t), n = 0;
	while (n < cap && t[n].OID != NULL)
		n++;
	if (n == cap)
		die("alarms table %s has no closing row", s->name);
	if (t[n].status_value || t[n].alarm_value)
		die("alarms table %s ends in a row that is not empty", s->name);
	return n;
}

static table_t *table_for(enum kind kind, const void *ptr, const char *what)
{
	size_t i;
	table_t *t;
	for (i = 0; i < ntables; i++) {
		if (tables[i].ptr == ptr) {
			if (tables[i].kind != kind)
				die("%s: one table used as two kinds", what);
			return &tables[i];
		}
	}
	if (ntables == sizeof tables / sizeof tables[0])
		die("too many tables");
	t = &tables[ntables++];
	t->kind = kind;
	t->ptr = ptr;
	t->sym = sym_at(ptr, what);
	module_of(t->sym->file, t->module, sizeof t->module);
	rust_name(t->sym->name, t->rust, sizeof t->rust);
	switch (kind) {
	case K_MAPPING:
		t->rows = 1;
		break;
	case K_ITEMS:
		t->rows = count_items(ptr);
		break;
	case K_LOOKUP:
		t->rows = count_lookup(ptr, &t->open);
		if (t->open)
			fprintf(stderr, "extract: warning: lookup %s has no closing row in C\n", t->sym->name);
		break;
	case K_ALARMS:
		t->rows = count_alarms(ptr);
		if (t->rows == 0)
			die("%s: empty alarms table (NULL and empty would read the same)", what);
		break;
	}
	for (i = 0; i + 1 < ntables; i++)
		if (!strcmp(tables[i].module, t->module) && !strcmp(tables[i].rust, t->rust))
			die("two tables named %s in module %s", t->rust, t->module);
	return t;
}

/* ---- writing Rust ---- */

static FILE *out;
/* what the module being written uses, for its `use` line */
static int uses_mapping, uses_item, uses_lookup, uses_alarm, uses_hook, uses_var, uses_flag;
static const char *cur_module;

static void rust_str(const char *s)
{
	const unsigned char *p;
	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else if (*p >= 0x80)
			die("non-ASCII byte in string \"%s\"", s);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void rust_opt_str(const char *s)
{
	if (s == NULL) {
		fputs("None", out);
	} else {
		fputs("Some(", out);
		rust_str(s);
		fputc(')', out);
	}
}

/* The shortest fixed-point spelling that reads back as the same double (exponent form only
 * for numbers that would need more than 24 characters). */
static void rust_f64(double d)
{
	char buf[64];
	int prec;
	if (!isfinite(d))
		die("length %g is not finite", d);
	for (prec = 0; prec <= 20; prec++) {
		snprintf(buf, sizeof buf, "%.*f", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (prec > 20 || strlen(buf) > 24) {
		for (prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof buf, "%.*e", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
	}
	if (strtod(buf, NULL) != d)
		die("length %a does not read back", d);
	if (!strchr(buf, '.') && !strchr(buf, 'e'))
		strcat(buf, ".0");
	fputs(buf, out);
}

static void rust_ref(const table_t *t)
{
	if (strcmp(t->module, cur_module))
		fprintf(out, "&super::%s::%s", t->module, t->rust);
	else
		fprintf(out, "&%s", t->rust);
}

static const struct {
	unsigned long bit;
	const char *name;
} var_bits[] = {
	{ ST_FLAG_RW, "RW" },
	{ ST_FLAG_STRING, "STRING" },
	{ ST_FLAG_NUMBER, "NUMBER" },
	{ ST_FLAG_IMMUTABLE, "IMMUTABLE" },
};

static const struct {
	unsigned long bit;
	const char *name;
} su_bits[] = {
	{ SU_FLAG_OK, "OK" },
	{ SU_FLAG_STATIC, "STATIC" },
	{ SU_FLAG_ABSENT, "ABSENT" },
	{ SU_FLAG_STALE, "STALE" },
	{ SU_FLAG_NEGINVALID, "NEG_INVALID" },
	{ SU_FLAG_UNIQUE, "UNIQUE" },
	{ SU_FLAG_ZEROINVALID, "ZERO_INVALID" },
	{ SU_FLAG_NAINVALID, "NA_INVALID" },
	{ SU_CMD_OFFSET, "CMD_OFFSET" },
	{ SU_FLAG_SEMI_STATIC, "SEMI_STATIC" },
	{ SU_OUTLET_GROUP, "OUTLET_GROUP" },
	{ SU_OUTLET, "OUTLET" },
	{ SU_INPUT_1, "INPUT_1" },
	{ SU_INPUT_3, "INPUT_3" },
	{ SU_OUTPUT_1, "OUTPUT_1" },
	{ SU_OUTPUT_3, "OUTPUT_3" },
	{ SU_BYPASS_1, "BYPASS_1" },
	{ SU_BYPASS_3, "BYPASS_3" },
	{ SU_TYPE_INT, "TYPE_INT" },
	{ SU_TYPE_TIME, "TYPE_TIME" },
	{ SU_TYPE_CMD, "TYPE_CMD" },
	{ SU_TYPE_DAISY_1, "DAISY_1" },
	{ SU_TYPE_DAISY_2, "DAISY_2" },
	{ SU_DAISY, "DAISY" },
	{ SU_TYPE_DAISY_MASTER_ONLY, "DAISY_MASTER_ONLY" },
	{ SU_AMBIENT_TEMPLATE, "AMBIENT_TEMPLATE" },
	{ SU_STATUS_PWR, "STATUS_PWR" },
	{ SU_STATUS_BATT, "STATUS_BATT" },
	{ SU_STATUS_CAL, "STATUS_CAL" },
	{ SU_STATUS_RB, "STATUS_RB" },
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void rust_var_flags(int v, const char *item)
{
	size_t i;
	unsigned long left;
	int first = 1;
	if (v < 0)
		die("%s: negative info_flags %d", item, v);
	left = (unsigned long)v;
	for (i = 0; i < NELEMS(var_bits); i++) {
		if (left & var_bits[i].bit) {
			fprintf(out, "%svar::%s", first ? "" : " | ", var_bits[i].name);
			left &= ~var_bits[i].bit;
			first = 0;
			uses_var = 1;
		}
	}
	if (left)
		die("%s: info_flags bits 0x%lx have no name", item, left);
	if (first)
		fputc('0', out);
}

static void rust_su_flags(snmp_info_flags_t v, const char *item)
{
	size_t i;
	unsigned long left = (unsigned long)v;
	int first = 1;
	for (i = 0; i < NELEMS(su_bits); i++) {
		if (left & su_bits[i].bit) {
			fprintf(out, "%sflag::%s", first ? "" : " | ", su_bits[i].name);
			left &= ~su_bits[i].bit;
			first = 0;
			uses_flag = 1;
		}
	}
	if (left)
		die("%s: flags bits 0x%lx have no name", item, left);
	if (first)
		fputc('0', out);
}

/* The Hook of a lookup row, or NULL; 'code' is its number in the fingerprint. */
static const char *hook_of(const info_lkp_t *row, int *code)
{
	*code = 0;
	if (row->fun_vp2s && row->nuf_s2l)
		die("lookup row %d has both functions", row->oid_value);
	if (row->fun_vp2s == su_usdate_to_isodate_info_fun) {
		*code = 1;
		return "UsDateToIso";
	}
	if (row->fun_vp2s == su_temperature_read_fun) {
		*code = 2;
		return "TemperatureRead";
	}
	if (row->fun_vp2s == eaton_sensor_temperature_unit_fun) {
		*code = 3;
		return "EatonTemperatureUnit";
	}
	if (row->nuf_s2l == marlin_device_count_fun) {
		*code = 4;
		return "MarlinDeviceCount";
	}
	if (row->fun_vp2s || row->nuf_s2l)
		die("lookup row %d: function %s has no Hook", row->oid_value,
		    sym_at(row->fun_vp2s ? (const void *)row->fun_vp2s : (const void *)row->nuf_s2l,
			   "function")->name);
	return NULL;
}

static void emit_mapping(const table_t *t)
{
	const mib2nut_info_t *m = t->ptr;
	const table_t *items = table_for(K_ITEMS, m->snmp_info, m->mib_name);
	uses_mapping = 1;
	fprintf(out, "/// The `%s` mapping (C's `%s`).\n", m->mib_name, t->sym->name);
	fprintf(out, "pub static %s: Mapping = Mapping {\n", t->rust);
	fputs("    name: ", out);
	rust_str(m->mib_name);
	fputs(",\n    version: ", out);
	if (!m->mib_version)
		die("%s: no version", m->mib_name);
	rust_str(m->mib_version);
	fputs(",\n    power_status_oid: ", out);
	rust_opt_str(m->oid_pwr_status);
	fputs(",\n    probe_oid: ", out);
	rust_opt_str(m->oid_auto_check);
	fputs(",\n    sys_oid: ", out);
	rust_opt_str(m->sysOID);
	fputs(",\n    items: ", out);
	rust_ref(items);
	fputs(",\n    alarms: ", out);
	if (m->alarms_info)
		rust_ref(table_for(K_ALARMS, m->alarms_info, m->mib_name));
	else
		fputs("&[]", out);
	fputs(",\n};\n\n", out);
}

/* "/// DOC `c_name`." and the start of the static array of TYPE */
static void begin_array(const table_t *t, const char *doc, const char *type)
{
	fprintf(out, "/// %s `%s`.\n", doc, t->sym->name);
	if (t->open)
		fputs("///\n/// C's array has no row with a NULL text: C's loops that stop only there read on\n"
		      "/// past its end.\n", out);
	fprintf(out, "pub static %s: [%s; %zu] = [\n", t->rust, type, t->rows);
}

static void emit_items(const table_t *t)
{
	const snmp_info_t *it = t->ptr;
	size_t i;
	uses_item = 1;
	begin_array(t, "The items of C's", "Item");
	for (i = 0; i < t->rows; i++) {
		fputs("    Item {\n        name: ", out);
		rust_str(it[i].info_type);
		fputs(",\n        var_flags: ", out);
		rust_var_flags(it[i].info_flags, it[i].info_type);
		fputs(",\n        len: ", out);
		rust_f64(it[i].info_len);
		fputs(",\n        oid: ", out);
		rust_opt_str(it[i].OID);
		fputs(",\n        default: ", out);
		rust_opt_str(it[i].dfl);
		fputs(",\n        flags: ", out);
		rust_su_flags(it[i].flags, it[i].info_type);
		fputs(",\n        lookup: ", out);
		if (it[i].oid2info) {
			fputs("Some(", out);
			rust_ref(table_for(K_LOOKUP, it[i].oid2info, it[i].info_type));
			fputc(')', out);
		} else {
			fputs("None", out);
		}
		fputs(",\n    },\n", out);
	}
	fputs("];\n\n", out);
}

static void emit_lookup(const table_t *t)
{
	const info_lkp_t *l = t->ptr;
	size_t i;
	int code;
	uses_lookup = 1;
	begin_array(t, "The lookup C's", "Lookup");
	for (i = 0; i < t->rows; i++) {
		const char *hook = hook_of(&l[i], &code);
		fprintf(out, "    Lookup {\n        value: %d,\n        text: ", l[i].oid_value);
		rust_opt_str(l[i].info_value);
		fputs(",\n        hook: ", out);
		if (hook) {
			fprintf(out, "Some(Hook::%s)", hook);
			uses_hook = 1;
		} else {
			fputs("None", out);
		}
		fputs(",\n    },\n", out);
	}
	fputs("];\n\n", out);
}

static void emit_alarms(const table_t *t)
{
	const alarms_info_t *a = t->ptr;
	size_t i;
	uses_alarm = 1;
	begin_array(t, "The alarms of C's", "Alarm");
	for (i = 0; i < t->rows; i++) {
		fputs("    Alarm {\n        oid: ", out);
		rust_opt_str(a[i].OID);
		fputs(",\n        status: ", out);
		rust_opt_str(a[i].status_value);
		fputs(",\n        alarm: ", out);
		rust_opt_str(a[i].alarm_value);
		fputs(",\n    },\n", out);
	}
	fputs("];\n\n", out);
}

/* ---- fingerprint: FNV-1a 64 over the canonical form that tests.rs recomputes ---- */

static uint64_t fp;

static void fp_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;
	for (i = 0; i < n; i++) {
		fp ^= b[i];
		fp *= UINT64_C(0x100000001b3);
	}
}

static void fp_u64(uint64_t v)
{
	unsigned char b[8];
	int i;
	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	fp_bytes(b, 8);
}

static void fp_u32(uint32_t v)
{
	unsigned char b[4];
	int i;
	for (i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	fp_bytes(b, 4);
}

static void fp_u8(unsigned v)
{
	unsigned char b = (unsigned char)v;
	fp_bytes(&b, 1);
}

static void fp_str(const char *s)
{
	if (!s) {
		fp_u8(0);
		return;
	}
	fp_u8(1);
	fp_u64(strlen(s));
	fp_bytes(s, strlen(s));
}

static uint64_t fingerprint(const mib2nut_info_t *m)
{
	const snmp_info_t *it = m->snmp_info;
	size_t i, j, n = count_items(it), nl;
	int code, open;
	uint64_t bits;
	fp = UINT64_C(0xcbf29ce484222325);
	fp_str(m->mib_name);
	fp_str(m->mib_version);
	fp_str(m->oid_pwr_status);
	fp_str(m->oid_auto_check);
	fp_str(m->sysOID);
	fp_u64(n);
	for (i = 0; i < n; i++) {
		fp_str(it[i].info_type);
		fp_u32((uint32_t)it[i].info_flags);
		memcpy(&bits, &it[i].info_len, sizeof bits);
		fp_u64(bits);
		fp_str(it[i].OID);
		fp_str(it[i].dfl);
		fp_u32((uint32_t)it[i].flags);
		if (!it[i].oid2info) {
			fp_u8(0);
			continue;
		}
		fp_u8(1);
		nl = count_lookup(it[i].oid2info, &open);
		fp_u64(nl);
		for (j = 0; j < nl; j++) {
			const info_lkp_t *row = &it[i].oid2info[j];
			hook_of(row, &code);
			fp_u64((uint64_t)(int64_t)row->oid_value);
			fp_str(row->info_value);
			fp_u8((unsigned)code);
		}
	}
	n = m->alarms_info ? count_alarms(m->alarms_info) : 0;
	fp_u64(n);
	for (i = 0; i < n; i++) {
		fp_str(m->alarms_info[i].OID);
		fp_str(m->alarms_info[i].status_value);
		fp_str(m->alarms_info[i].alarm_value);
	}
	return fp;
}

/* ---- main ---- */

static FILE *open_out(const char *dir, const char *module)
{
	char path[1024];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s.rs", dir, module);
	f = fopen(path, "w");
	if (!f)
		die("cannot write %s: %s", path, strerror(errno));
	printf("%s\n", path);
	return f;
}

int main(int argc, char **argv)
{
	size_t i, j, k, nmods = 0;
	char mods[64][64];
	const char *sources[64];
	const char *dir, *version;

	if (argc != 4)
		die("usage: extract SYMBOLS_FILE OUT_DIR NUT_VERSION");
	read_symbols(argv[1]);
	dir = argv[2];
	version = argv[3];

	bias = (intptr_t)((uintptr_t)MIB2NUT_LIST[0].m - sym_by_name(MIB2NUT_LIST[0].var)->addr);

	/* Collect every table in mib2nut[] order: each mapping, its items, alarms and lookups. */
	for (i = 0; MIB2NUT_LIST[i].var; i++) {
		const mib2nut_info_t *m = MIB2NUT_LIST[i].m;
		table_t *t = table_for(K_MAPPING, m, MIB2NUT_LIST[i].var);
		const table_t *items;
		if (strcmp(t->sym->name, MIB2NUT_LIST[i].var))
			die("mapping %s found as symbol %s", MIB2NUT_LIST[i].var, t->sym->name);
		if (!m->snmp_info)
			die("%s: no items", m->mib_name);
		items = table_for(K_ITEMS, m->snmp_info, m->mib_name);
		if (m->alarms_info)
			table_for(K_ALARMS, m->alarms_info, m->mib_name);
		for (j = 0; j < items->rows; j++)
			if (m->snmp_info[j].oid2info)
				table_for(K_LOOKUP, m->snmp_info[j].oid2info, m->snmp_info[j].info_type);
	}
	for (i = 0; i < ntables; i++) {
		for (j = 0; j < nmods; j++)
			if (!strcmp(mods[j], tables[i].module))
				break;
		if (j == nmods) {
			if (nmods == NELEMS(mods))
				die("too many modules");
			snprintf(mods[nmods], sizeof mods[nmods], "%s", tables[i].module);
			sources[nmods] = tables[i].sym->file;
			nmods++;
		}
	}

	/* One Rust module per C file: mappings, then items tables, alarms, lookups. */
	for (j = 0; j < nmods; j++) {
		static const enum kind order[] = { K_MAPPING, K_ITEMS, K_ALARMS, K_LOOKUP };
		char *body = NULL;
		size_t bodylen = 0;
		FILE *f;
		int first = 1;
		cur_module = mods[j];
		uses_mapping = uses_item = uses_lookup = uses_alarm = uses_hook = uses_var = uses_flag = 0;
		out = open_memstream(&body, &bodylen);
		if (!out)
			die("open_memstream: %s", strerror(errno));
		for (k = 0; k < NELEMS(order); k++) {
			for (i = 0; i < ntables; i++) {
				table_t *t = &tables[i];
				if (t->kind != order[k] || strcmp(t->module, mods[j]))
					continue;
				switch (t->kind) {
				case K_MAPPING:
					emit_mapping(t);
					break;
				case K_ITEMS:
					emit_items(t);
					break;
				case K_ALARMS:
					emit_alarms(t);
					break;
				case K_LOOKUP:
					emit_lookup(t);
					break;
				}
				t->emitted = 1;
			}
		}
		fclose(out);

		f = open_out(dir, mods[j]);
		fprintf(f, "//! The mapping tables of C NUT %s's `%s`, as Rust data.\n//!\n", version,
			sources[j]);
		fprintf(f, "//! Generated from C NUT %s's table by the extractor in `extract/`: do not edit\n"
			   "//! by hand, regenerate (see `extract/README.md`).\n\n", version);
		fputs("use crate::snmp::mib::{", f);
#define USE(cond, name)                                             \
	if (cond) {                                                 \
		fprintf(f, "%s%s", first ? "" : ", ", name);        \
		first = 0;                                          \
	}
		USE(uses_flag, "flag");
		USE(uses_var, "var");
		USE(uses_alarm, "Alarm");
		USE(uses_hook, "Hook");
		USE(uses_item, "Item");
		USE(uses_lookup, "Lookup");
		USE(uses_mapping, "Mapping");
#undef USE
		fputs("};\n\n", f);
		fwrite(body, 1, bodylen, f);
		fclose(f);
		free(body);
	}
	for (i = 0; i < ntables; i++)
		if (!tables[i].emitted)
			die("table %s was not written", tables[i].rust);

	/* What the tests compare the generated data with. */
	out = open_out(dir, "counts");
	fprintf(out, "//! What the extractor counted in C NUT %s's tables, for the tests.\n//!\n", version);
	fprintf(out, "//! Generated from C NUT %s's tables by the extractor in `extract/`: do not edit\n"
		     "//! by hand, regenerate (see `extract/README.md`).\n\n", version);
	fputs("use crate::snmp::mib::{flag, var};\n\n", out);
	fputs("/// One mapping of C's `mib2nut[]`, as C has it.\n", out);
	fputs("pub(super) struct Counted {\n"
	      "    /// C's variable name.\n    pub(super) c_name: &'static str,\n"
	      "    /// The mapping's name (`mibs=`).\n    pub(super) name: &'static str,\n"
	      "    /// Items.\n    pub(super) items: usize,\n"
	      "    /// Items that have a lookup.\n    pub(super) items_with_lookup: usize,\n"
	      "    /// Distinct lookup tables.\n    pub(super) lookups: usize,\n"
	      "    /// Rows of the distinct lookup tables.\n    pub(super) lookup_rows: usize,\n"
	      "    /// Alarms.\n    pub(super) alarms: usize,\n"
	      "    /// FNV-1a 64 of the mapping's canonical form (see `tests.rs`).\n"
	      "    pub(super) fingerprint: u64,\n}\n\n", out);
	fputs("/// C's `mib2nut[]`, in its order.\n", out);
	for (i = 0; MIB2NUT_LIST[i].var; i++)
		;
	fprintf(out, "pub(super) static COUNTED: [Counted; %zu] = [\n", i);
	for (i = 0; MIB2NUT_LIST[i].var; i++) {
		const mib2nut_info_t *m = MIB2NUT_LIST[i].m;
		const snmp_info_t *it = m->snmp_info;
		size_t n = count_items(it), with = 0, nlk = 0, rows = 0;
		int open;
		const info_lkp_t *seen[1024];
		for (j = 0; j < n; j++) {
			if (!it[j].oid2info)
				continue;
			with++;
			for (k = 0; k < nlk; k++)
				if (seen[k] == it[j].oid2info)
					break;
			if (k == nlk) {
				if (nlk == NELEMS(seen))
					die("too many lookups");
				seen[nlk++] = it[j].oid2info;
				rows += count_lookup(it[j].oid2info, &open);
			}
		}
		fprintf(out, "    Counted {\n        c_name: \"%s\",\n        name: ", MIB2NUT_LIST[i].var);
		rust_str(m->mib_name);
		fprintf(out, ",\n        items: %zu,\n        items_with_lookup: %zu,\n        lookups: %zu,\n"
			     "        lookup_rows: %zu,\n        alarms: %zu,\n        fingerprint: 0x%016" PRIx64
			     ",\n    },\n",
			n, with, nlk, rows, m->alarms_info ? count_alarms(m->alarms_info) : 0,
			fingerprint(m));
	}
	fputs("];\n\n", out);
	/* The items whose lookup has no closing row in C (by mapping and item index), for the
	 * tests and for check_binary.py, which reads such a lookup only as far as C's array goes. */
	for (i = 0, k = 0; MIB2NUT_LIST[i].var; i++) {
		const snmp_info_t *it = MIB2NUT_LIST[i].m->snmp_info;
		size_t n = count_items(it);
		int open;
		for (j = 0; j < n; j++)
			if (it[j].oid2info) {
				count_lookup(it[j].oid2info, &open);
				k += open;
			}
	}
	fputs("/// Items whose lookup has no closing row in C: mapping, item index, rows of C's array.\n", out);
	fprintf(out, "pub(super) static OPEN_LOOKUPS: [(&str, usize, usize); %zu] = [\n", k);
	for (i = 0; MIB2NUT_LIST[i].var; i++) {
		const snmp_info_t *it = MIB2NUT_LIST[i].m->snmp_info;
		size_t n = count_items(it), rows;
		int open;
		for (j = 0; j < n; j++) {
			if (!it[j].oid2info)
				continue;
			rows = count_lookup(it[j].oid2info, &open);
			if (open)
				fprintf(out, "    (\"%s\", %zu, %zu),\n", MIB2NUT_LIST[i].var, j, rows);
		}
	}
	fputs("];\n\n", out);
	fputs("/// C's `ST_FLAG_*` values against `var`'s constants.\n", out);
	fprintf(out, "pub(super) static VAR_BITS: [(u32, u32); %zu] = [\n", NELEMS(var_bits));
	for (i = 0; i < NELEMS(var_bits); i++)
		fprintf(out, "    (var::%s, 0x%lx),\n", var_bits[i].name, var_bits[i].bit);
	fputs("];\n\n", out);
	fputs("/// C's `SU_*` values against `flag`'s constants.\n", out);
	fprintf(out, "pub(super) static FLAG_BITS: [(u32, u32); %zu] = [\n", NELEMS(su_bits));
	for (i = 0; i < NELEMS(su_bits); i++)
		fprintf(out, "    (flag::%s, 0x%lx),\n", su_bits[i].name, su_bits[i].bit);
	fputs("];\n", out);
	fclose(out);
	return 0;
}
