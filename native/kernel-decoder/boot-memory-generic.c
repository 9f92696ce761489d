/*
 * memcpy, memset and memmove for decompressors whose boot environment takes
 * them from firmware (the EFI zboot stub of arm64 and riscv64 calls the
 * firmware's CopyMem and SetMem, drivers/firmware/efi/libstub/intrinsics.c):
 * that code cannot be run here, so plain byte loops stand in for it.
 */
#include <stddef.h>

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;
	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memmove(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;
	if (d <= s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dest;
}

void *memcpy(void *dest, const void *src, size_t n)
{
	return memmove(dest, src, n);
}
