/*
 * kzbench's kernel-decoder harness: decompress INPUT with one kernel boot
 * decompressor (decoder.c), check the output equals EXPECTED byte for byte,
 * and time each run (wall clock, the thread's CPU time, its involuntary
 * context switches), repeating until MIN_RUNS runs and MIN_TIME_MS have
 * passed, or MAX_TIME_MS. Prints one line per run: "run WALL_MS CPU_MS NIVCSW",
 * then "ok BYTES". Exit 3: the decompressor reported an error; 4: the output
 * differs; 2: bad arguments or files.
 *
 * usage: kd-ALGO INPUT EXPECTED MIN_RUNS MIN_TIME_MS MAX_TIME_MS
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int kz_decompress(unsigned char *in, long in_len, unsigned char *out, long out_len, void *heap, unsigned long heap_size);

/* Markers around each decode, for an instruction counter (native/insn-count) to count between. */
__attribute__((noinline, used)) void kz_mark_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline, used)) void kz_mark_end(void) { __asm__ volatile("" ::: "memory"); }

void kz_error(const char *m)
{
	fprintf(stderr, "kernel decompressor: %s\n", m);
	exit(3);
}

static unsigned char *slurp(const char *path, long *n)
{
	FILE *f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (*n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(2);
	}
	unsigned char *b = malloc(*n ? *n : 1);
	if (!b || fread(b, 1, *n, f) != (size_t)*n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	return b;
}

static double ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s INPUT EXPECTED MIN_RUNS MIN_TIME_MS MAX_TIME_MS\n", argv[0]);
		return 2;
	}
	long in_n, want_n;
	unsigned char *in = slurp(argv[1], &in_n), *want = slurp(argv[2], &want_n);
	int min_runs = atoi(argv[3]);
	double min_time = atof(argv[4]), max_time = atof(argv[5]);
	/* The boot's heap is a few MiB at most (BOOT_HEAP_SIZE); this one is larger so no setting runs out. */
	unsigned long heap_size = 256ul << 20;
	void *heap = malloc(heap_size);
	unsigned char *out = malloc(want_n + 4096);
	if (!heap || !out) {
		fprintf(stderr, "out of memory\n");
		return 2;
	}
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int runs = 0;;) {
		struct timespec w0, w1, c0, c1;
		struct rusage r0, r1;
		getrusage(RUSAGE_THREAD, &r0);
		clock_gettime(CLOCK_MONOTONIC, &w0);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		kz_mark_begin();
		int rc = kz_decompress(in, in_n, out, want_n, heap, heap_size);
		kz_mark_end();
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		clock_gettime(CLOCK_MONOTONIC, &w1);
		getrusage(RUSAGE_THREAD, &r1);
		if (rc != 0) {
			fprintf(stderr, "kernel decompressor returned %d\n", rc);
			return 3;
		}
		if (memcmp(out, want, want_n) != 0) {
			fprintf(stderr, "kernel decompressor output differs from the original\n");
			return 4;
		}
		printf("run %.6f %.6f %ld\n", ms(&w0, &w1), ms(&c0, &c1), r1.ru_nivcsw - r0.ru_nivcsw);
		runs++;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double elapsed = ms(&start, &now);
		if ((runs >= min_runs && elapsed >= min_time) || elapsed >= max_time)
			break;
	}
	printf("ok %ld\n", want_n);
	return 0;
}
