/*
 * Test-only shim for running Rust programs under Wine 8, which lacks bcryptprimitives.dll.
 *
 * Rust's standard library on Windows takes its randomness from ProcessPrng in
 * bcryptprimitives.dll (present on every supported Windows). Wine 8 does not provide that
 * DLL, so a Rust .exe cannot even start there. This DLL exports ProcessPrng on top of
 * RtlGenRandom (advapi32's SystemFunction036, which Wine has). ci/wine-check puts it next to
 * the .exe files it runs under Wine; it is never packaged: real Windows has the real DLL.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
