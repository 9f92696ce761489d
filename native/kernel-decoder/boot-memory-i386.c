/*
 * memcpy, memset and memmove as the i386 boot decompressor has them
 * (arch/x86/boot/compressed/string.c, CONFIG_X86_32: copies with rep movsl
 * then rep movsb, sets byte by byte, moves backwards byte by byte when
 * regions overlap). Written for kzbench from that description.
 */
#include <stddef.h>

static void *copy(void *dest, const void *src, size_t n)
{
	int d0, d1, d2;
	__asm__ volatile("rep ; movsl\n\tmovl %4,%%ecx\n\trep ; movsb\n\t"
			 : "=&c"(d0), "=&D"(d1), "=&S"(d2)
			 : "0"(n >> 2), "g"(n & 3), "1"(dest), "2"(src)
			 : "memory");
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
