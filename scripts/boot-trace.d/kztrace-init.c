/*
 * kztrace-init: /init of the busybox initramfs that scripts/boot-trace boots.
 * Built on the host at run time: gcc -static -O2 -o init kztrace-init.c
 *
 * The kernel passes unknown "key=value" command-line words to init as
 * environment variables; kztrace=ftrace or kztrace=tb selects the mode.
 *
 *   ftrace: the kernel was booted with ftrace=function and a non-overwriting
 *     buffer. Stop tracing, dump the per-CPU binary ring buffer
 *     (per_cpu/cpu0/trace_pipe_raw) as distinct addresses with counts
 *     (phase "boot"), clear, re-enable, run /workload.sh, stop, dump again
 *     (phase "workload"); then collect small text samples (function and
 *     function_graph tracers) and a cross-check of this decoder against the
 *     kernel's own "raw" text output.
 *   tb: no tracing in the guest. Execute a one-byte function at a fixed,
 *     otherwise unused user address before and after the workload so that
 *     QEMU's translate_block log shows where the phases begin and end.
 *
 * Everything goes out as text through /dev/ttyS1 (raw mode) between
 * "@@begin NAME" and "@@end NAME" lines; the console (ttyS0) only gets
 * progress messages.
 *
 * Ring buffer page format (Documentation/trace/ring-buffer-design.rst,
 * kernel/trace/ring_buffer.c, include/linux/ring_buffer.h). Offsets and
 * widths are read in the guest from events/header_page,
 * events/header_event and events/ftrace/function/format, not assumed.
 *   page:  u64 timestamp (absolute time of the page's first event),
 *          local_t commit (bytes of event data in the page; bit 31 =
 *          RB_MISSED_EVENTS: events were lost before this page, bit 30 =
 *          RB_MISSED_STORED: their number is stored as an unsigned long
 *          right after the data), then data.
 *   event: u32 header {type_len:5, time_delta:27}, then u32 array[].
 *          type_len 1..28: data event of type_len*4 bytes at array[0];
 *          type_len 0: data event, array[0] = its length + 4, data at array[1];
 *          29 padding: time_delta == 0 means the rest of the page is empty,
 *             otherwise a discarded event of array[0] + 4 bytes (no time);
 *          30 time extend: delta = array[0] << 27 | time_delta (8 bytes);
 *          31 time stamp: absolute time array[0] << 27 | time_delta, the
 *             bits above 59 taken from the current time (8 bytes).
 *          A data event's time is the previous time plus its time_delta.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define T "/t/" /* tracefs mount point */

static FILE *out; /* ttyS1 */

static void msg(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "kztrace-init: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

static void die(const char *what) {
  msg("fatal: %s: %s", what, strerror(errno));
  if (out) { fprintf(out, "@@fatal %s: %s\n", what, strerror(errno)); fflush(out); }
  sync();
  reboot(RB_POWER_OFF);
  _exit(1);
}

static void put(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_TRUNC);
  if (fd < 0) die(path);
  if (write(fd, value, strlen(value)) < 0) die(path);
  close(fd);
}

static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (n == cap) { cap *= 2; buf = realloc(buf, cap + 1); }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) { if (errno == EINTR) continue; break; }
    if (r == 0) break;
    n += r;
  }
  close(fd);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

/* Copy a file to ttyS1 as a section; max_lines 0 = all. */
static void copy_section(const char *name, const char *path, long max_lines) {
  fprintf(out, "@@begin %s %s\n", name, path);
  int fd = open(path, O_RDONLY);
  if (fd < 0) { fprintf(out, "@@error cannot open %s: %s\n", path, strerror(errno)); }
  else {
    char buf[65536];
    long lines = 0;
    int last_nl = 1, done = 0;
    ssize_t r;
    while (!done && (r = read(fd, buf, sizeof buf)) > 0) {
      for (ssize_t i = 0; i < r; i++) {
        fputc(buf[i], out);
        last_nl = buf[i] == '\n';
        if (last_nl && max_lines && ++lines >= max_lines) { done = 1; break; }
      }
    }
    close(fd);
    if (!last_nl) fputc('\n', out);
  }
  fprintf(out, "@@end %s\n", name);
  fflush(out);
}

/* ---- format files ---- */

struct field { long offset, size; int found; };

/* Find "field:... NAME;\toffset:N;\tsize:M;" in a format file. */
static struct field find_field(const char *text, const char *name) {
  struct field f = {0, 0, 0};
  const char *p = text;
  size_t nl = strlen(name);
  while ((p = strstr(p, "field:")) != NULL) {
    const char *semi = strchr(p, ';');
    if (!semi) break;
    /* the declaration ends with the field name, possibly followed by [N] */
    const char *end = semi;
    const char *br = memchr(p, '[', semi - p);
    if (br) end = br;
    if (end - p >= (long)nl && memcmp(end - nl, name, nl) == 0 &&
        (end - nl == p || strchr(" \t*:", end[-(long)nl - 1]))) {
      const char *o = strstr(semi, "offset:");
      const char *s = strstr(semi, "size:");
      if (o && s) { f.offset = atol(o + 7); f.size = atol(s + 5); f.found = 1; }
      return f;
    }
    p = semi;
  }
  return f;
}

static long find_number(const char *text, const char *key, long dflt) {
  const char *p = strstr(text, key);
  if (!p) return dflt;
  return atol(p + strlen(key));
}

struct layout {
  struct field ts, commit, data;        /* page */
  long type_len_bits, time_delta_bits;  /* event header */
  long padding, time_extend, time_stamp, data_max;
  long fn_id;
  struct field common_type, common_pid, ip, parent_ip;
  long page_size;
};

static struct layout L;

static void read_layout(void) {
  char *hp = slurp(T "events/header_page", NULL);
  char *he = slurp(T "events/header_event", NULL);
  char *ff = slurp(T "events/ftrace/function/format", NULL);
  if (!hp || !he || !ff) die("format files");
  L.ts = find_field(hp, "timestamp");
  L.commit = find_field(hp, "commit");
  L.data = find_field(hp, "data");
  if (!L.ts.found || !L.commit.found || !L.data.found) { errno = EINVAL; die("header_page"); }
  L.page_size = L.data.offset + L.data.size;
  /* header_event: "type_len    :    5 bits", "time_delta  :   27 bits",
     "padding     : type == 29" ... */
  L.type_len_bits = find_number(he, "type_len    :", 5);
  L.time_delta_bits = find_number(he, "time_delta  :", 27);
  L.padding = find_number(he, "padding     : type ==", 29);
  L.time_extend = find_number(he, "time_extend : type ==", 30);
  L.time_stamp = find_number(he, "time_stamp : type ==", 31);
  L.data_max = find_number(he, "data max type_len  ==", 28);
  L.fn_id = find_number(ff, "ID:", -1);
  L.common_type = find_field(ff, "common_type");
  L.common_pid = find_field(ff, "common_pid");
  L.ip = find_field(ff, "ip");
  L.parent_ip = find_field(ff, "parent_ip");
  if (L.fn_id < 0 || !L.common_type.found || !L.ip.found || !L.parent_ip.found) { errno = EINVAL; die("function format"); }
  fprintf(out, "@@begin layout\n");
  fprintf(out, "page_size %ld\nts %ld %ld\ncommit %ld %ld\ndata %ld %ld\n", L.page_size, L.ts.offset, L.ts.size,
          L.commit.offset, L.commit.size, L.data.offset, L.data.size);
  fprintf(out, "type_len_bits %ld\ntime_delta_bits %ld\npadding %ld\ntime_extend %ld\ntime_stamp %ld\ndata_max %ld\n",
          L.type_len_bits, L.time_delta_bits, L.padding, L.time_extend, L.time_stamp, L.data_max);
  fprintf(out, "function_id %ld\ncommon_type %ld %ld\ncommon_pid %ld %ld\nip %ld %ld\nparent_ip %ld %ld\n",
          L.fn_id, L.common_type.offset, L.common_type.size, L.common_pid.offset, L.common_pid.size, L.ip.offset,
          L.ip.size, L.parent_ip.offset, L.parent_ip.size);
  fprintf(out, "@@end layout\n");
  fflush(out);
  free(hp); free(he); free(ff);
}

static uint64_t get(const unsigned char *p, long size) {
  uint64_t v = 0;
  memcpy(&v, p, size > 8 ? 8 : size); /* little-endian host and guest */
  return v;
}

/* ---- distinct addresses in order of first appearance ---- */

struct entry { uint64_t addr; uint64_t ip_count, parent_count; };
static struct entry *entries;
static size_t n_entries, cap_entries;
static uint32_t *slots; /* index+1, 0 = empty */
static size_t n_slots;

static void table_reset(void) {
  n_entries = 0;
  if (!slots) { n_slots = 1 << 20; slots = calloc(n_slots, sizeof *slots); }
  else memset(slots, 0, n_slots * sizeof *slots);
}

static struct entry *lookup(uint64_t addr) {
  size_t mask = n_slots - 1;
  size_t h = (size_t)((addr * 0x9E3779B97F4A7C15ull) >> 40) & mask;
  for (;;) {
    uint32_t s = slots[h];
    if (!s) break;
    if (entries[s - 1].addr == addr) return &entries[s - 1];
    h = (h + 1) & mask;
  }
  if (n_entries + 1 > n_slots / 2) { errno = ENOMEM; die("address table full"); }
  if (n_entries == cap_entries) {
    cap_entries = cap_entries ? cap_entries * 2 : 65536;
    entries = realloc(entries, cap_entries * sizeof *entries);
  }
  entries[n_entries] = (struct entry){addr, 0, 0};
  slots[h] = (uint32_t)++n_entries;
  return &entries[n_entries - 1];
}

/* ---- ring buffer reader ---- */

struct stats {
  uint64_t pages, fn_events, other_events, paddings, discarded, extends, stamps;
  uint64_t missed_pages, missed_events, bad;
  uint64_t first_ts, last_ts;
};

/* mode 0: count addresses; mode 1: print every function event (verification) */
static void dump_buffer(const char *name, int mode, long max_events) {
  struct stats st;
  memset(&st, 0, sizeof st);
  if (mode == 0) table_reset();
  char path[] = T "per_cpu/cpu0/trace_pipe_raw";
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd < 0) die(path);
  unsigned char *page = malloc(L.page_size);
  const uint32_t tl_mask = (1u << L.type_len_bits) - 1;
  const long ts_shift = L.time_delta_bits;
  const uint64_t abs_mask = (1ull << 59) - 1;
  if (mode == 1) fprintf(out, "@@begin %s\n", name);
  uint64_t printed = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    ssize_t r = read(fd, page, L.page_size);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break; /* EAGAIN: empty */
    if (r < L.data.offset) { st.bad++; continue; }
    st.pages++;
    uint64_t ts = get(page + L.ts.offset, L.ts.size);
    uint64_t commit = get(page + L.commit.offset, L.commit.size);
    uint64_t flags = commit & 0xC0000000u;
    long size = (long)(commit & 0x3FFFFFFFu);
    if (size > L.data.size || L.data.offset + size > r) { st.bad++; size = r - L.data.offset; }
    if (flags & 0x80000000u) {
      st.missed_pages++;
      if ((flags & 0x40000000u) && L.data.offset + size + 8 <= r)
        st.missed_events += get(page + L.data.offset + size, 8);
    }
    const unsigned char *d = page + L.data.offset;
    long at = 0;
    while (at + 4 <= size) {
      uint32_t h = (uint32_t)get(d + at, 4);
      uint32_t type_len = h & tl_mask;
      uint32_t delta = h >> L.type_len_bits;
      long len;
      const unsigned char *body;
      if ((long)type_len == L.padding) {
        if (delta == 0) break; /* rest of page empty */
        len = (long)(uint32_t)get(d + at + 4, 4) + 4;
        st.discarded++;
        at += len;
        continue;
      } else if ((long)type_len == L.time_extend) {
        ts += ((uint64_t)(uint32_t)get(d + at + 4, 4) << ts_shift) | delta;
        st.extends++;
        at += 8;
        continue;
      } else if ((long)type_len == L.time_stamp) {
        uint64_t abs = ((uint64_t)(uint32_t)get(d + at + 4, 4) << ts_shift) | delta;
        abs |= ts & ~abs_mask;
        if (abs < ts && (ts & ~abs_mask)) abs += 1ull << 59; /* unlikely wrap */
        ts = abs;
        st.stamps++;
        at += 8;
        continue;
      } else if (type_len == 0) {
        len = (long)(uint32_t)get(d + at + 4, 4) + 4;
        body = d + at + 8;
      } else if ((long)type_len <= L.data_max) {
        len = 4 + 4 * (long)type_len;
        body = d + at + 4;
      } else { st.bad++; break; }
      if (len < 8 || at + len > size) { st.bad++; break; }
      ts += delta;
      if (!st.first_ts) st.first_ts = ts;
      st.last_ts = ts;
      uint64_t type = get(body + L.common_type.offset, L.common_type.size);
      if ((long)type == L.fn_id) {
        uint64_t ip = get(body + L.ip.offset, L.ip.size);
        uint64_t parent = get(body + L.parent_ip.offset, L.parent_ip.size);
        st.fn_events++;
        if (mode == 0) {
          /* the caller was running first */
          lookup(parent)->parent_count++;
          lookup(ip)->ip_count++;
        } else if (max_events == 0 || (long)printed < max_events) {
          uint64_t pid = L.common_pid.found ? get(body + L.common_pid.offset, L.common_pid.size) : 0;
          fprintf(out, "%llu %llu %llx %llx\n", (unsigned long long)ts, (unsigned long long)(uint32_t)pid,
                  (unsigned long long)ip, (unsigned long long)parent);
          printed++;
        }
      } else st.other_events++;
      at += len;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  close(fd);
  free(page);
  if (mode == 1) fprintf(out, "@@end %s\n", name);
  else {
    fprintf(out, "@@begin %s\n", name);
    for (size_t i = 0; i < n_entries; i++)
      fprintf(out, "%llx %llu %llu\n", (unsigned long long)entries[i].addr, (unsigned long long)entries[i].ip_count,
              (unsigned long long)entries[i].parent_count);
    fprintf(out, "@@end %s\n", name);
  }
  fprintf(out, "@@begin %s.summary\n", name);
  fprintf(out, "pages %llu\nfunction_events %llu\nother_events %llu\ndiscarded %llu\ntime_extends %llu\n"
          "time_stamps %llu\npages_with_missed_events %llu\nmissed_events_stored %llu\nmalformed %llu\n"
          "first_ts %llu\nlast_ts %llu\ndistinct_addresses %zu\nread_seconds %.3f\n",
          (unsigned long long)st.pages, (unsigned long long)st.fn_events, (unsigned long long)st.other_events,
          (unsigned long long)st.discarded, (unsigned long long)st.extends, (unsigned long long)st.stamps,
          (unsigned long long)st.missed_pages, (unsigned long long)st.missed_events, (unsigned long long)st.bad,
          (unsigned long long)st.first_ts, (unsigned long long)st.last_ts, mode == 0 ? n_entries : (size_t)0,
          (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  fprintf(out, "@@end %s.summary\n", name);
  fflush(out);
  msg("%s: %llu pages, %llu function events, %zu distinct addresses", name, (unsigned long long)st.pages,
      (unsigned long long)st.fn_events, n_entries);
}

static int run(const char *const argv[]) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return status;
}

/* A one-byte function at a fixed user address; its translation marks a
   phase boundary in QEMU's translate_block log. */
static void marker(uintptr_t at) {
  unsigned char *p = mmap((void *)at, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) die("mmap marker");
  p[0] = 0xc3; /* ret */
  __asm__ volatile("" ::: "memory");
  ((void (*)(void))p)();
  munmap(p, 4096);
}

static void uptime(const char *label) {
  char *u = slurp("/proc/uptime", NULL);
  fprintf(out, "@@uptime %s %s", label, u ? u : "?\n");
  fflush(out);
  free(u);
}

int main(void) {
  mkdir("/proc", 0755); mkdir("/sys", 0755); mkdir("/dev", 0755); mkdir("/t", 0755); mkdir("/tmp", 01777);
  mount("proc", "/proc", "proc", 0, NULL);
  mount("sysfs", "/sys", "sysfs", 0, NULL);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  mount("tracefs", "/t", "tracefs", 0, NULL);
  const char *mode = getenv("kztrace");
  if (!mode) mode = "ftrace";
  int ftrace = strcmp(mode, "tb") != 0;

  /* ---- end of the boot phase ---- */
  if (ftrace) put(T "tracing_on", "0");
  else marker(0x13370000);

  int fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
  if (fd < 0) die("/dev/ttyS1");
  struct termios tio;
  if (tcgetattr(fd, &tio) == 0) { cfmakeraw(&tio); cfsetspeed(&tio, B115200); tcsetattr(fd, TCSANOW, &tio); }
  out = fdopen(fd, "w");
  static char obuf[1 << 16];
  setvbuf(out, obuf, _IOFBF, sizeof obuf);
  fprintf(out, "@@start mode=%s\n", mode);
  uptime("init");
  copy_section("cmdline", "/proc/cmdline", 0);
  copy_section("version", "/proc/version", 0);
  const char *workload[] = {"/bin/sh", "/workload.sh", NULL};

  if (ftrace) {
    copy_section("boot.stats", T "per_cpu/cpu0/stats", 0);
    copy_section("header_page", T "events/header_page", 0);
    copy_section("header_event", T "events/header_event", 0);
    copy_section("function_format", T "events/ftrace/function/format", 0);
    copy_section("trace_options", T "trace_options", 0);
    copy_section("buffer_size_kb", T "buffer_size_kb", 0);
    copy_section("current_tracer", T "current_tracer", 0);
    read_layout();
    dump_buffer("boot", 0, 0);
    copy_section("available_filter_functions", T "available_filter_functions", 0);
    copy_section("boot.stats.after", T "per_cpu/cpu0/stats", 0);

    /* ---- workload phase ---- */
    put(T "trace", "");
    msg("workload (traced)");
    uptime("workload-start");
    put(T "tracing_on", "1");
    int status = run(workload);
    put(T "tracing_on", "0");
    uptime("workload-end");
    fprintf(out, "@@workload_status %d\n", status);
    copy_section("workload.stats", T "per_cpu/cpu0/stats", 0);
    dump_buffer("workload", 0, 0);

    /* ---- samples and a cross-check against the kernel's text output ---- */
    const char *ls[] = {"/bin/ls", "-l", "/proc/self/", NULL};
    put(T "buffer_size_kb", "64"); /* a small buffer: only the first events */
    put(T "trace", "");
    put(T "tracing_on", "1");
    run(ls);
    put(T "tracing_on", "0");
    copy_section("sample.stats", T "per_cpu/cpu0/stats", 0);
    copy_section("sample.trace", T "trace", 0);
    put(T "options/raw", "1");
    copy_section("sample.trace_raw", T "trace", 0);
    put(T "options/raw", "0");
    dump_buffer("sample.decoded", 1, 0);
    put(T "current_tracer", "function_graph");
    put(T "trace", "");
    put(T "tracing_on", "1");
    run(ls);
    put(T "tracing_on", "0");
    copy_section("sample.function_graph", T "trace", 400);
    put(T "current_tracer", "nop");
  } else {
    msg("workload (between markers)");
    uptime("workload-start");
    marker(0x13380000);
    int status = run(workload);
    marker(0x13390000);
    uptime("workload-end");
    fprintf(out, "@@workload_status %d\n", status);
  }
  uptime("done");
  fprintf(out, "@@done\n");
  fflush(out);
  tcdrain(fd);
  sync();
  msg("power off");
  reboot(RB_POWER_OFF);
  return 0;
}
