/*
 * memcpy, memset and memmove as the x86 boot decompressor has them
 * (arch/x86/boot/compressed/string.c: copies with rep movsq (x86_64) or
 * rep movsl (i386) then rep movsb, sets byte by byte, moves backwards byte
 * by byte when regions overlap). Written for kzbench from that description;
 * built with the boot flags.
 */
#include <stddef.h>

static void *copy(void *dest, const void *src, size_t n)
{
	long d0, d1, d2;
#ifdef __x86_64__
	__asm__ volatile("rep ; movsq\n\tmovq %4,%%rcx\n\trep ; movsb\n\t"
			 : "=&c"(d0), "=&D"(d1), "=&S"(d2)
			 : "0"(n >> 3), "g"(n & 7), "1"(dest), "2"(src)
			 : "memory");
#else
	__asm__ volatile("rep ; movsl\n\tmovl %4,%%ecx\n\trep ; movsb\n\t"
			 : "=&c"(d0), "=&D"(d1), "=&S"(d2)
			 : "0"(n >> 2), "g"(n & 3), "1"(dest), "2"(src)
			 : "memory");
#endif
	return dest;
}

void *memset(void *s, int c, size_t n)
{
	char *p = s;
	for (size_t i = 0; i < n; i++)
		p[i] = c;
	return s;
}

void *memmove(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;
	if (d <= s || (size_t)(d - s) >= n)
		return copy(dest, src, n);
	while (n-- > 0)
		d[n] = s[n];
	return dest;
}

void *memcpy(void *dest, const void *src, size_t n)
{
	if (dest > src && (size_t)((char *)dest - (const char *)src) < n)
		return memmove(dest, src, n);
	return copy(dest, src, n);
}
