//! The exported functions with no 6.0 Web API path (protocol/docs/CSHIS.md says why for
//! each). They touch none of their arguments, so they need no `unsafe`.

use super::{Buf, Len, Str};
use crate::codes;

/// Functions with no path in the 6.0 Web API (protocol/docs/CSHIS.md says why for each):
/// they take their exact arguments, touch none of them, and return
/// [`codes::NOT_SUPPORTED`].
macro_rules! not_supported {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $t:ty),*); )*) => { $(
        $(#[$doc])*
        #[no_mangle]
        pub extern "system" fn $name($($arg: $t),*) -> i32 {
            let _ = ($($arg,)*);
            codes::NOT_SUPPORTED.0
        }
    )* };
}

not_supported! {
    /// 1.3 預防保健掛號作業.
    fn hisGetRegisterPrevent(buf: Buf, len: Len);
    /// 1.4 孕婦產前檢查掛號作業.
    fn hisGetRegisterPregnant(buf: Buf, len: Len);
    /// 1.6 讀取就醫累計資料.
    fn hisGetCumulativeData(buf: Buf, len: Len);
    /// 1.7 讀取醫療費用線累計.
    fn hisGetCumulativeFee(buf: Buf, len: Len);
    /// 1.13 讀取緊急聯絡電話資料.
    fn hisGetEmergentTel(buf: Buf, len: Len);
    /// 1.17 就醫費用資料寫入作業.
    fn hisWriteTreatmentFee(date_time: Str, id: Str, birth: Str, data: Str);
    /// 1.19 新生兒註記寫入作業.
    fn hisWriteNewBorn(id: Str, birth: Str, newborn_date: Str, delivered: Str);
    /// 1.22 預防保健資料寫入作業.
    fn hisWriteHealthInsurance(id: Str, birth: Str, item: Str, item_code: Str);
    /// 1.23 緊急聯絡電話資料寫入作業.
    fn hisWriteEmergentTel(id: Str, birth: Str, tel: Str);
    /// 1.24 寫入產前檢查資料.
    fn hisWritePredeliveryCheckup(id: Str, birth: Str, checkup: Str);
    /// 1.25 清除產前檢查資料.
    fn hisDeletePredeliveryData(id: Str, birth: Str);
    /// 1.39 回復就醫資料累計值 (退掛).
    fn csUnGetSeqNumber(untreat_date: Str);
    /// 1.46 過敏藥物寫入指定欄位作業.
    fn hisWriteAllergicNum(id: Str, birth: Str, data: Str, doc_id: Buf, num: i32);
    /// 1.51 取得控制軟體版本.
    fn csGetVersionEx(path: Str);
    /// 3.1 資料上傳.
    fn csUploadData(file: Str, size: Str, number: Str, buf: Buf, len: Len);
    /// 5.1 進行疾病診斷碼押碼.
    fn hisGetICD10EnC(input: Str, output: Buf);
    /// 5.2 進行疾病診斷碼解押碼.
    fn hisGetICD10DeC(input: Str, output: Buf);
}
