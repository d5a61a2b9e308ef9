// The lower bound of decoding JSON prediction lines in WebAssembly, for wasm-decode-probe.bench.ts: tokenise
// each line (objects, strings, numbers, literals), turn every number into a double (Clinger's fast path) and
// fold it into a checksum so that nothing is optimised away. It validates nothing and builds no objects, so a
// real decoder costs more; what it bounds is the time a Wasm decoder could take, against JSON.parse.
// Freestanding (no libc): the input is copied to __heap_base, with a newline after it.
typedef unsigned char u8;
typedef unsigned long size_t;
extern u8 __heap_base;
static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static double checksum;
static long keys;

u8* input_base(void) { return &__heap_base; }
double number_checksum(void) { return checksum; }
long key_count(void) { return keys; }

static const u8* skip_space(const u8* p) {
  while (*p == ' ' || *p == '\t' || *p == '\r') p++;
  return p;
}
static const u8* value(const u8* p);
static const u8* string(const u8* p) {
  p++;
  while (*p != '"') p += *p == '\\' ? 2 : 1;
  return p + 1;
}
static const u8* number(const u8* p) {
  int negative = *p == '-';
  if (negative) p++;
  unsigned long long mantissa = 0;
  int digits = 0, exponent = 0;
  for (; *p >= '0' && *p <= '9'; p++, digits++) mantissa = mantissa * 10 + (*p - '0');
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++, digits++, exponent--) mantissa = mantissa * 10 + (*p - '0');
  if (*p == 'e' || *p == 'E') {
    int sign = 1, e = 0;
    p++;
    if (*p == '-' || *p == '+') sign = *p++ == '-' ? -1 : 1;
    for (; *p >= '0' && *p <= '9'; p++) e = e * 10 + (*p - '0');
    exponent += sign * e;
  }
  double d = (double)mantissa;
  if (digits <= 15 && exponent >= -22 && exponent <= 22) d = exponent < 0 ? d / POW10[-exponent] : d * POW10[exponent];
  checksum += negative ? -d : d;
  return p;
}
static const u8* object(const u8* p) {
  p = skip_space(p + 1);
  if (*p == '}') return p + 1;
  for (;;) {
    p = skip_space(string(skip_space(p)));
    keys++;
    p = skip_space(value(skip_space(p + 1)));
    if (*p != ',') return p + 1;
    p++;
  }
}
static const u8* value(const u8* p) {
  switch (*p) {
    case '{': return object(p);
    case '"': return string(p);
    case 't': case 'n': return p + 4;
    case 'f': return p + 5;
    default: return number(p);
  }
}

/** The number of lines with a value among the first `length` bytes at input_base(). */
long scan_lines(size_t length) {
  const u8* p = &__heap_base;
  const u8* end = p + length;
  long lines = 0;
  while (p < end) {
    p = skip_space(p);
    if (*p == '\n') { p++; continue; }
    p = value(p);
    lines++;
    while (p < end && *p != '\n') p++;
  }
  return lines;
}
