/*
 * A HIS program as clinics' software calls csHis.dll: LoadLibrary, GetProcAddress, WINAPI
 * (stdcall) function pointers, fixed char buffers and `int` lengths (like the SDK sample's
 * dynamic-link example). Cross-compiled with mingw and run under Wine by
 * cshis/tests/wine.rs against the emulated world.
 *
 * Usage: his_client <COM index> <expected card number> <expected ID number> <birthday>
 *        <doctor's ID number>
 * The visit: open → verify SAM → basic data → register basic → sequence number → treatment
 * and two prescriptions (with signatures) → read back (also through the treatment reads and
 * hisReadPrescription) → close. The doctor's HPC must be
 * verified (the medical area needs it).
 * Prints one line per call and exits 0 only when every answer is what HIS code expects.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int(WINAPI *F0)(void);
typedef int(WINAPI *FInt)(int);
typedef int(WINAPI *FBuf)(char *, int *);
typedef int(WINAPI *FSeq)(char *, char *, char *, char *, int *);
typedef int(WINAPI *FTreat)(char *, char *, char *, char *, char *);
typedef int(WINAPI *FMultiRx)(char *, char *, char *, char *, int *, char *, int *);
typedef int(WINAPI *FReadRx)(char *, int *, int, int, int *);
typedef int(WINAPI *FReadAll)(char *, int *, char *, int *, char *, int *, char *, int *);

static HMODULE dll;
static int failures;

static FARPROC fn(const char *name) {
    FARPROC p = GetProcAddress(dll, name);
    if (p == NULL) {
        printf("GetProcAddress(%s) failed: not exported under its bare name\n", name);
        exit(2);
    }
    return p;
}

static void expect(const char *what, int got, int want) {
    printf("%-44s %5d (want %d)\n", what, got, want);
    if (got != want) failures++;
}

static void expect_bytes(const char *what, const char *got, const char *want, int n) {
    int ok = memcmp(got, want, n) == 0;
    /* Show ASCII fields; a field with Big5 bytes is only compared. */
    int ascii = 1;
    for (int i = 0; i < n; i++) ascii &= (unsigned char)got[i] < 0x80;
    printf("%-44s %.*s (%s)\n", what, ascii ? n : 0, got, ok ? "ok" : "MISMATCH");
    if (!ok) failures++;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        printf("usage: his_client <COM index> <card number> <ID number> <birthday> <doctor ID>\n");
        return 2;
    }
    int com = atoi(argv[1]);
    dll = LoadLibraryA("csHis.dll");
    if (dll == NULL) {
        printf("LoadLibrary(csHis.dll) failed: %lu\n", GetLastError());
        return 2;
    }
    FInt OpenCom = (FInt)fn("csOpenCom");
    F0 CloseCom = (F0)fn("csCloseCom");
    F0 VerifySAMDC = (F0)fn("csVerifySAMDC");
    FBuf GetBasicData = (FBuf)fn("hisGetBasicData");
    FBuf GetRegisterBasic = (FBuf)fn("hisGetRegisterBasic");
    FBuf GetHospID = (FBuf)fn("csGetHospID");
    FSeq GetSeqNumber256 = (FSeq)fn("hisGetSeqNumber256");
    FTreat WriteTreatmentCode = (FTreat)fn("hisWriteTreatmentCode");
    FMultiRx WriteMultiPrescriptSign = (FMultiRx)fn("hisWriteMultiPrescriptSign");
    FReadRx ReadPrescriptMain = (FReadRx)fn("hisReadPrescriptMain");
    FBuf GetLastSeqNum = (FBuf)fn("hisGetLastSeqNum");
    FBuf GetTreatmentNeedHPC = (FBuf)fn("hisGetTreatmentNeedHPC");
    FBuf GetTreatmentNoNeedHPC = (FBuf)fn("hisGetTreatmentNoNeedHPC");
    FReadAll ReadPrescription = (FReadAll)fn("hisReadPrescription");

    char basic[72], reg[78], hosp[10], seq[296], small[50];
    char when[14], doc[11], sigs[80], rx[2 * 61 + 1], back[122], last[17];
    char diagnoses[] = "1 J00      I10    ";
    static char need[372], noneed[498], op[3660], lt[1320], hve[360], allergy[120];
    int len, count, n, lens[4];

    len = 72;
    expect("hisGetBasicData before csOpenCom", GetBasicData(basic, &len), 4000);

    DWORD start = GetTickCount();
    expect("csOpenCom", OpenCom(com), 0);
    expect("csVerifySAMDC", VerifySAMDC(), 0);
    len = 72;
    expect("hisGetBasicData", GetBasicData(basic, &len), 0);
    expect("  length", len, 72);
    len = 78;
    expect("hisGetRegisterBasic", GetRegisterBasic(reg, &len), 0);
    expect("  length", len, 78);
    len = 296;
    expect("hisGetSeqNumber256", GetSeqNumber256("01", " ", "1", seq, &len), 0);
    expect("  length", len, 296);
    memcpy(when, seq, 13);
    when[13] = 0;
    expect("hisWriteTreatmentCode", WriteTreatmentCode(when, argv[3], argv[4], diagnoses, doc), 0);
    /* Two 61-byte prescriptions of this visit: date-time 13, order class 1, item code 12,
       body site 6, usage 18, days 2, total 7, dispensing mark 2. */
    snprintf(rx, sizeof rx, "%s1%-12s%-6s%-18s03%-7s01%s1%-12s%-6s%-18s03%-7s01", when,
             "A012345100", "", "TID", "9", when, "B098765432", "", "BID", "6");
    count = 2;
    len = sizeof sigs;
    expect("hisWriteMultiPrescriptSign (2)",
           WriteMultiPrescriptSign(when, argv[3], argv[4], rx, &count, sigs, &len), 0);
    expect("  signatures length", len, 80);
    len = sizeof last;
    expect("hisGetLastSeqNum", GetLastSeqNum(last, &len), 0);
    len = sizeof back;
    n = 0;
    expect("hisReadPrescriptMain(1, 2)", ReadPrescriptMain(back, &len, 1, 2, &n), 0);
    expect("  count", n, 2);
    len = sizeof need;
    expect("hisGetTreatmentNeedHPC (372)", GetTreatmentNeedHPC(need, &len), 0);
    len = sizeof noneed;
    expect("hisGetTreatmentNoNeedHPC (498)", GetTreatmentNoNeedHPC(noneed, &len), 0);
    lens[0] = sizeof op, lens[1] = sizeof lt, lens[2] = sizeof hve, lens[3] = sizeof allergy;
    expect("hisReadPrescription (8 arguments)",
           ReadPrescription(op, &lens[0], lt, &lens[1], hve, &lens[2], allergy, &lens[3]), 0);
    expect("csCloseCom", CloseCom(), 0);
    printf("visit (open, verify, basic, register, seq, treatment, 2 prescriptions, read back, close): %lu ms\n",
           GetTickCount() - start);

    expect_bytes("  last visit = the numbered one", last, seq, 17);
    expect_bytes("  prescriptions read back", back, rx, 122);
    expect_bytes("  pBufferDocID = the doctor's ID", doc, argv[5], 10);
    expect_bytes("  need-HPC visit 1 = this visit", need + 114, when, 13);
    expect_bytes("  its diagnoses (packed)", need + 127, "J00  I10  ", 10);
    expect_bytes("  no-need-HPC visit 1 = this visit", noneed + 84 + 3, when, 13);
    expect_bytes("  its sequence number", noneed + 84 + 17, seq + 13, 4);
    expect_bytes("  hisReadPrescription outpatient block", op, rx, 122);
    int hex = 1;
    for (int i = 0; i < 80; i++) hex &= strchr("0123456789ABCDEF", sigs[i]) != NULL && sigs[i] != 0;
    expect("  signatures are hex", hex, 1);

    expect_bytes("  card number", basic, argv[2], 12);
    expect_bytes("  ID number", basic + 32, argv[3], 10);
    expect_bytes("  register basic = basic data (58 bytes)", reg, basic, 58);

    expect("csOpenCom again", OpenCom(com), 0);
    len = 10;
    expect("csGetHospID", GetHospID(hosp, &len), 0);
    memset(small, 0x5A, sizeof small);
    len = sizeof small;
    expect("hisGetBasicData into 50 bytes", GetBasicData(small, &len), 6018);
    expect("  needed length", len, 72);
    int untouched = 1;
    for (int i = 0; i < (int)sizeof small; i++) untouched &= small[i] == 0x5A;
    expect("  buffer untouched", untouched, 1);
    len = 72;
    expect("hisGetBasicData(NULL, &len)", GetBasicData(NULL, &len), 6018);
    expect("hisGetBasicData(buf, NULL)", GetBasicData(basic, NULL), 6018);
    expect("csCloseCom", CloseCom(), 0);
    len = 72;
    expect("hisGetBasicData after csCloseCom", GetBasicData(basic, &len), 4000);

    FreeLibrary(dll);
    printf("his_client: %s (%d failures)\n", failures ? "FAILED" : "OK", failures);
    return failures ? 1 : 0;
}
