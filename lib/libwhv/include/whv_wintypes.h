// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * whv_wintypes.h - the few Windows base types, macros and status codes that
 * the WHv headers (WinHvPlatformDefs.h, WinHvPlatform.h, WinHvEmulation.h)
 * are written in terms of, defined for Linux x86-64.
 *
 * Sizes follow the Windows LLP64 model, not the Linux LP64 one: LONG, ULONG,
 * DWORD and HRESULT are 32 bits, BOOL is a 4-byte int, WCHAR is 16 bits.
 *
 * Everything here is guarded so that the header can be combined with another
 * Windows-compatibility layer: macros are only defined when absent, and
 * typedefs sit behind the guard macros Windows-style headers conventionally
 * use (or a whv-specific one).  Define WHV_NO_WINTYPES to skip the typedefs
 * entirely when the including program supplies all of them itself.
 */
#ifndef WHV_WINTYPES_H
#define WHV_WINTYPES_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__x86_64__)
#error "libwhv headers describe the x86-64 (AMD64) WHv ABI only"
#endif

/* ------------------------------------------------------------------------ */
/* Compiler helpers                                                          */
/* ------------------------------------------------------------------------ */

/* Compile-time check usable at file scope, in C11 and in C++11. */
#ifndef WHV_STATIC_ASSERT
# ifdef __cplusplus
#  define WHV_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
# else
#  define WHV_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
# endif
#endif

#ifndef WHV_ALIGNOF
# ifdef __cplusplus
#  define WHV_ALIGNOF(type) alignof(type)
# else
#  define WHV_ALIGNOF(type) _Alignof(type)
# endif
#endif

#ifndef C_ASSERT
# define C_ASSERT(cond) WHV_STATIC_ASSERT(cond, #cond)
#endif

#ifndef DECLSPEC_ALIGN
# define DECLSPEC_ALIGN(n) __attribute__((aligned(n)))
#endif

/*
 * Calling-convention markers.  The WHv entry points use the platform's normal
 * C convention: on Linux that is the System V ABI, so these expand to nothing
 * (ms_abi would make every Linux caller incompatible).
 */
#ifndef WINAPI
# define WINAPI
#endif
#ifndef CALLBACK
# define CALLBACK
#endif
#ifndef APIENTRY
# define APIENTRY
#endif

#ifndef ANYSIZE_ARRAY
# define ANYSIZE_ARRAY 1
#endif

#ifndef VOID
# define VOID void
#endif

#ifndef TRUE
# define TRUE 1
#endif
#ifndef FALSE
# define FALSE 0
#endif

/* ------------------------------------------------------------------------ */
/* Scalar types                                                              */
/* ------------------------------------------------------------------------ */

#ifndef WHV_NO_WINTYPES

#ifndef WHV_BASIC_INTS_DEFINED
#define WHV_BASIC_INTS_DEFINED
typedef int8_t   INT8;
typedef int16_t  INT16;
typedef int32_t  INT32;
typedef int64_t  INT64;
typedef uint8_t  UINT8;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef uint64_t UINT64;

typedef int32_t  LONG32;
typedef uint32_t ULONG32;
typedef int64_t  LONG64;
typedef uint64_t ULONG64;
typedef uint64_t DWORD64;

typedef int            INT;
typedef unsigned int   UINT;
typedef int32_t        LONG;
typedef uint32_t       ULONG;
typedef int16_t        SHORT;
typedef uint16_t       USHORT;
typedef char           CHAR;
typedef unsigned char  UCHAR;
typedef uint8_t        BYTE;
typedef uint16_t       WORD;
typedef uint32_t       DWORD;
typedef int64_t        LONGLONG;
typedef uint64_t       ULONGLONG;

typedef int            BOOL;
typedef uint8_t        BOOLEAN;

typedef intptr_t       INT_PTR;
typedef uintptr_t      UINT_PTR;
typedef intptr_t       LONG_PTR;
typedef uintptr_t      ULONG_PTR;
typedef size_t         SIZE_T;
typedef ptrdiff_t      SSIZE_T;

typedef void          *PVOID;
typedef const void    *LPCVOID;
typedef void          *LPVOID;
typedef void          *HANDLE;
typedef HANDLE        *PHANDLE;

typedef UINT8   *PUINT8;
typedef UINT16  *PUINT16;
typedef UINT32  *PUINT32;
typedef UINT64  *PUINT64;
typedef BOOL    *PBOOL;
typedef DWORD   *PDWORD;
typedef ULONG   *PULONG;
#endif /* WHV_BASIC_INTS_DEFINED */

/* 16-bit UTF-16 code unit (wchar_t is 32 bits on Linux, so it cannot be used). */
#ifndef WHV_WCHAR_DEFINED
#define WHV_WCHAR_DEFINED
# if defined(__cplusplus) && defined(__cpp_unicode_characters)
typedef char16_t WCHAR;
# else
typedef uint16_t WCHAR;
# endif
typedef WCHAR       *PWCHAR;
typedef WCHAR       *PWSTR;
typedef const WCHAR *PCWSTR;
#endif

#ifndef _HRESULT_DEFINED
#define _HRESULT_DEFINED
typedef int32_t HRESULT;
#endif

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
	uint32_t Data1;
	uint16_t Data2;
	uint16_t Data3;
	uint8_t  Data4[8];
} GUID;
#endif

#ifndef WHV_LUID_DEFINED
#define WHV_LUID_DEFINED
typedef struct _LUID {
	DWORD LowPart;
	LONG  HighPart;
} LUID, *PLUID;
#endif

#ifndef WHV_DEVICE_POWER_STATE_DEFINED
#define WHV_DEVICE_POWER_STATE_DEFINED
/* Device power states (D0 = fully on), used by WHvSetVpciDevicePowerState. */
typedef enum _DEVICE_POWER_STATE {
	PowerDeviceUnspecified = 0,
	PowerDeviceD0,
	PowerDeviceD1,
	PowerDeviceD2,
	PowerDeviceD3,
	PowerDeviceMaximum
} DEVICE_POWER_STATE, *PDEVICE_POWER_STATE;
#endif

WHV_STATIC_ASSERT(sizeof(HRESULT) == 4, "HRESULT is 32-bit");
WHV_STATIC_ASSERT(sizeof(BOOL) == 4, "BOOL is a 4-byte int");
WHV_STATIC_ASSERT(sizeof(LONG) == 4 && sizeof(ULONG) == 4 && sizeof(DWORD) == 4,
		  "LONG/ULONG/DWORD are 32-bit (LLP64)");
WHV_STATIC_ASSERT(sizeof(WCHAR) == 2, "WCHAR is a UTF-16 code unit");
WHV_STATIC_ASSERT(sizeof(GUID) == 16, "GUID layout");
WHV_STATIC_ASSERT(sizeof(LUID) == 8, "LUID layout");
WHV_STATIC_ASSERT(sizeof(DEVICE_POWER_STATE) == 4, "enums are 4 bytes");

#endif /* WHV_NO_WINTYPES */

/* ------------------------------------------------------------------------ */
/* HRESULT helpers and common codes                                          */
/* ------------------------------------------------------------------------ */

#ifndef SUCCEEDED
# define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#endif
#ifndef FAILED
# define FAILED(hr) (((HRESULT)(hr)) < 0)
#endif
#ifndef HRESULT_CODE
# define HRESULT_CODE(hr) ((hr) & 0xFFFF)
#endif
#ifndef HRESULT_FACILITY
# define HRESULT_FACILITY(hr) (((hr) >> 16) & 0x1FFF)
#endif

#ifndef FACILITY_WIN32
# define FACILITY_WIN32 7
#endif

/*
 * Wrap a Win32 error code in an HRESULT: values that are already zero or
 * negative pass through, others become 0x8007xxxx.  Kept as a macro so that it
 * folds to a constant (usable in case labels).
 */
#ifndef HRESULT_FROM_WIN32
# define HRESULT_FROM_WIN32(err)                                              \
	((HRESULT)(err) <= 0 ? (HRESULT)(err)                                 \
			     : (HRESULT)(((uint32_t)(err) & 0x0000FFFFu) |    \
					 ((uint32_t)FACILITY_WIN32 << 16) |    \
					 0x80000000u))
#endif

/* Literal HRESULT values: the cast makes the 0x8xxxxxxx bit pattern negative. */
#ifndef WHV_HRESULT
# define WHV_HRESULT(v) ((HRESULT)(uint32_t)(v))
#endif

#ifndef S_OK
# define S_OK             WHV_HRESULT(0x00000000)
#endif
#ifndef S_FALSE
# define S_FALSE          WHV_HRESULT(0x00000001)
#endif
#ifndef E_NOTIMPL
# define E_NOTIMPL        WHV_HRESULT(0x80004001)
#endif
#ifndef E_NOINTERFACE
# define E_NOINTERFACE    WHV_HRESULT(0x80004002)
#endif
#ifndef E_POINTER
# define E_POINTER        WHV_HRESULT(0x80004003)
#endif
#ifndef E_ABORT
# define E_ABORT          WHV_HRESULT(0x80004004)
#endif
#ifndef E_FAIL
# define E_FAIL           WHV_HRESULT(0x80004005)
#endif
#ifndef E_UNEXPECTED
# define E_UNEXPECTED     WHV_HRESULT(0x8000FFFF)
#endif
#ifndef E_ACCESSDENIED
# define E_ACCESSDENIED   WHV_HRESULT(0x80070005)
#endif
#ifndef E_HANDLE
# define E_HANDLE         WHV_HRESULT(0x80070006)
#endif
#ifndef E_OUTOFMEMORY
# define E_OUTOFMEMORY    WHV_HRESULT(0x8007000E)
#endif
#ifndef E_INVALIDARG
# define E_INVALIDARG     WHV_HRESULT(0x80070057)
#endif
#ifndef E_PENDING
# define E_PENDING        WHV_HRESULT(0x8000000A)
#endif
#ifndef E_BOUNDS
# define E_BOUNDS         WHV_HRESULT(0x8000000B)
#endif
#ifndef E_NOT_SUFFICIENT_BUFFER
# define E_NOT_SUFFICIENT_BUFFER HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)
#endif
#ifndef E_NOT_VALID_STATE
# define E_NOT_VALID_STATE HRESULT_FROM_WIN32(ERROR_INVALID_STATE)
#endif

/* Win32 error codes (for HRESULT_FROM_WIN32). */
#ifndef ERROR_SUCCESS
# define ERROR_SUCCESS              0
#endif
#ifndef ERROR_INVALID_FUNCTION
# define ERROR_INVALID_FUNCTION     1
#endif
#ifndef ERROR_FILE_NOT_FOUND
# define ERROR_FILE_NOT_FOUND       2
#endif
#ifndef ERROR_ACCESS_DENIED
# define ERROR_ACCESS_DENIED        5
#endif
#ifndef ERROR_INVALID_HANDLE
# define ERROR_INVALID_HANDLE       6
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
# define ERROR_NOT_ENOUGH_MEMORY    8
#endif
#ifndef ERROR_INVALID_DATA
# define ERROR_INVALID_DATA         13
#endif
#ifndef ERROR_OUTOFMEMORY
# define ERROR_OUTOFMEMORY          14
#endif
#ifndef ERROR_NOT_READY
# define ERROR_NOT_READY            21
#endif
#ifndef ERROR_BAD_LENGTH
# define ERROR_BAD_LENGTH           24
#endif
#ifndef ERROR_GEN_FAILURE
# define ERROR_GEN_FAILURE          31
#endif
#ifndef ERROR_NOT_SUPPORTED
# define ERROR_NOT_SUPPORTED        50
#endif
#ifndef ERROR_INVALID_PARAMETER
# define ERROR_INVALID_PARAMETER    87
#endif
#ifndef ERROR_INSUFFICIENT_BUFFER
# define ERROR_INSUFFICIENT_BUFFER  122
#endif
#ifndef ERROR_BUSY
# define ERROR_BUSY                 170
#endif
#ifndef ERROR_ALREADY_EXISTS
# define ERROR_ALREADY_EXISTS       183
#endif
#ifndef ERROR_MORE_DATA
# define ERROR_MORE_DATA            234
#endif
#ifndef ERROR_INVALID_ADDRESS
# define ERROR_INVALID_ADDRESS      487
#endif
#ifndef ERROR_ARITHMETIC_OVERFLOW
# define ERROR_ARITHMETIC_OVERFLOW  534
#endif
#ifndef ERROR_OPERATION_ABORTED
# define ERROR_OPERATION_ABORTED    995
#endif
#ifndef ERROR_IO_PENDING
# define ERROR_IO_PENDING           997
#endif
#ifndef ERROR_NOT_FOUND
# define ERROR_NOT_FOUND            1168
#endif
#ifndef ERROR_CANCELLED
# define ERROR_CANCELLED            1223
#endif
#ifndef ERROR_NO_SYSTEM_RESOURCES
# define ERROR_NO_SYSTEM_RESOURCES  1450
#endif
#ifndef ERROR_TIMEOUT
# define ERROR_TIMEOUT              1460
#endif
#ifndef ERROR_INVALID_STATE
# define ERROR_INVALID_STATE        5023
#endif

/* ------------------------------------------------------------------------ */
/* Bit-flag enums in C++                                                     */
/* ------------------------------------------------------------------------ */

/*
 * In C an enum converts freely from int, so "Read | Write" can be passed as a
 * flags enum.  C++ needs the bitwise operators spelled out for each flag type.
 */
#ifndef DEFINE_ENUM_FLAG_OPERATORS
# ifdef __cplusplus
#  define DEFINE_ENUM_FLAG_OPERATORS(E)                                        \
	extern "C++" {                                                        \
	inline constexpr E operator|(E a, E b) noexcept                       \
	{ return E(static_cast<unsigned long long>(a) |                       \
		   static_cast<unsigned long long>(b)); }                     \
	inline constexpr E operator&(E a, E b) noexcept                       \
	{ return E(static_cast<unsigned long long>(a) &                       \
		   static_cast<unsigned long long>(b)); }                     \
	inline constexpr E operator^(E a, E b) noexcept                       \
	{ return E(static_cast<unsigned long long>(a) ^                       \
		   static_cast<unsigned long long>(b)); }                     \
	inline constexpr E operator~(E a) noexcept                            \
	{ return E(~static_cast<unsigned long long>(a)); }                    \
	inline E &operator|=(E &a, E b) noexcept { return a = a | b; }        \
	inline E &operator&=(E &a, E b) noexcept { return a = a & b; }        \
	inline E &operator^=(E &a, E b) noexcept { return a = a ^ b; }        \
	}
# else
#  define DEFINE_ENUM_FLAG_OPERATORS(E)
# endif
#endif

#endif /* WHV_WINTYPES_H */
