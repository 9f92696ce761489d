#pragma once
/* Unaligned access through a packed struct, the compiler's own unaligned load/store (as the kernel's asm-generic helpers do). */
#include <linux/types.h>
#include <linux/swab.h>
#define get_unaligned(ptr) __extension__({ const struct { __typeof__(*(ptr)) x; } __attribute__((packed)) *_p = (const void *)(ptr); _p->x; })
#define put_unaligned(val, ptr) do { struct { __typeof__(*(ptr)) x; } __attribute__((packed)) *_p = (void *)(ptr); _p->x = (val); } while (0)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define KZ_LE16(x) (x)
#define KZ_LE32(x) (x)
#define KZ_LE64(x) (x)
#define KZ_BE16(x) __builtin_bswap16(x)
#define KZ_BE32(x) __builtin_bswap32(x)
#define KZ_BE64(x) __builtin_bswap64(x)
#else
#define KZ_LE16(x) __builtin_bswap16(x)
#define KZ_LE32(x) __builtin_bswap32(x)
#define KZ_LE64(x) __builtin_bswap64(x)
#define KZ_BE16(x) (x)
#define KZ_BE32(x) (x)
#define KZ_BE64(x) (x)
#endif
static inline u16 get_unaligned_le16(const void *p) { return KZ_LE16(get_unaligned((const u16 *)p)); }
static inline u32 get_unaligned_le32(const void *p) { return KZ_LE32(get_unaligned((const u32 *)p)); }
static inline u64 get_unaligned_le64(const void *p) { return KZ_LE64(get_unaligned((const u64 *)p)); }
static inline u16 get_unaligned_be16(const void *p) { return KZ_BE16(get_unaligned((const u16 *)p)); }
static inline u32 get_unaligned_be32(const void *p) { return KZ_BE32(get_unaligned((const u32 *)p)); }
static inline u64 get_unaligned_be64(const void *p) { return KZ_BE64(get_unaligned((const u64 *)p)); }
static inline void put_unaligned_le16(u16 v, void *p) { put_unaligned((u16)KZ_LE16(v), (u16 *)p); }
static inline void put_unaligned_le32(u32 v, void *p) { put_unaligned((u32)KZ_LE32(v), (u32 *)p); }
static inline void put_unaligned_le64(u64 v, void *p) { put_unaligned((u64)KZ_LE64(v), (u64 *)p); }
static inline void put_unaligned_be16(u16 v, void *p) { put_unaligned((u16)KZ_BE16(v), (u16 *)p); }
static inline void put_unaligned_be32(u32 v, void *p) { put_unaligned((u32)KZ_BE32(v), (u32 *)p); }
static inline void put_unaligned_be64(u64 v, void *p) { put_unaligned((u64)KZ_BE64(v), (u64 *)p); }
static inline u32 le32_to_cpup(const u32 *p) { return KZ_LE32(*p); }
static inline u16 le16_to_cpup(const u16 *p) { return KZ_LE16(*p); }
